#!/usr/bin/env node
// The CLI as built by `npm run build` (tsc, src/ -> dist/): plain node, no TypeScript loader.
import { runCli } from "../dist/cli.js";

process.exitCode = await runCli(process.argv.slice(2));
