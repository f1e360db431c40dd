#!/usr/bin/env tsx
import { bundleParticipants, bundleService } from "./bundle-services.js";

// `saga-bundle-service`: bundles the participant in the current folder (its `npm run build`);
// `saga-bundle-service --participants`: all three (the root `npm run build`).
await (process.argv.includes("--participants") ? bundleParticipants() : bundleService(process.cwd()));
