import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

/**
 * The participants run from one JavaScript bundle each (`services/<name>/dist/main.js`, made from its src/main.ts)
 * with plain `node`: through tsx every process also carried tsx's loader thread, a second V8 isolate and the
 * transpiler, ~30 MB of its ~100 MB peak RSS (bench/README.md, memory).
 */
export const PARTICIPANTS = ["consumer-service", "restaurant-service", "accounting-service"] as const;

/**
 * Node flags every participant runs with (its `npm start`, and startSystem of @saga/order-service/testing): a
 * young generation of 2 MB semi-spaces instead of up to 16 MB, as the participants allocate little that lives
 * long, and V8's heuristics for size (smaller heap growth, so the old space is collected before it doubles): about
 * 0.15 ms more GC per saga for the three together, for 10-15 MB less peak RSS each; and one V8 worker thread
 * instead of four (fewer thread stacks and malloc arenas: 4-5 MB less each, no measurable CPU cost on 2 cores).
 * See bench/README.md, memory.
 */
export const PARTICIPANT_NODE_FLAGS = [
  "--max-semi-space-size=2",
  "--optimize-for-size",
  "--v8-pool-size=1",
] as const;

/**
 * Left out of the bundle, loaded from node_modules at run time: pg-native is pg's optional native binding (not
 * installed); @opentelemetry/api is the application's to provide (the runtime uses it only when present, and one copy
 * must be shared with the SDK that registers the tracer). better-sqlite3, a native addon, see nativeOnFirstUse.
 */
const EXTERNAL = ["pg-native", "@opentelemetry/api"];

/**
 * better-sqlite3 stays in node_modules too, but is required when the module importing it first runs, not at start:
 * an external ESM import would be hoisted to the top of the bundle, and a participant on PostgreSQL would load the
 * native addon it never uses. The import becomes a CommonJS module whose one line requires it.
 */
const nativeOnFirstUse: esbuild.Plugin = {
  name: "native-on-first-use",
  setup(build) {
    build.onResolve({ filter: /^better-sqlite3$/ }, ({ path, namespace }) =>
      namespace === "native-on-first-use"
        ? { path, external: true }
        : { path, namespace: "native-on-first-use" },
    );
    build.onLoad({ filter: /.*/, namespace: "native-on-first-use" }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: "js",
    }));
  },
};

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Where a participant's bundle is: what its `npm start` and startSystem run. */
export function participantBundle(service: string): string {
  return path.join(REPO, "services", service, "dist", "main.js");
}

/**
 * Bundles `<serviceDir>/src/main.ts` into `<serviceDir>/dist/main.js`: ESM for Node 20, with the dependencies'
 * CommonJS given a real `require` (they require Node's built-ins). Files are written only when their content
 * changed, each by a rename (a process starting meanwhile reads the old file or the new one, never half of one):
 * `npm start` rebuilds first, and in the Docker image the bundle made at `npm ci` is current and its folder not
 * writable by the user the services run as.
 */
export async function bundleService(serviceDir: string): Promise<void> {
  const { outputFiles } = await esbuild.build({
    absWorkingDir: REPO, // the bundle's comments name files from the repository root, wherever it is built from
    entryPoints: [path.join(serviceDir, "src", "main.ts")],
    outdir: path.join(serviceDir, "dist"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    plugins: [nativeOnFirstUse],
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
    },
    sourcemap: "linked",
    logLevel: "warning",
    write: false,
  });
  for (const file of outputFiles) {
    const current = await readFile(file.path, "utf8").catch(() => undefined);
    if (current === file.text) continue;
    await mkdir(path.dirname(file.path), { recursive: true });
    const written = `${file.path}.${process.pid}.tmp`;
    await writeFile(written, file.contents);
    await rename(written, file.path);
  }
}

/** Bundles every participant (the root `npm run build`, and startSystem before it spawns them). */
export async function bundleParticipants(): Promise<void> {
  await Promise.all(PARTICIPANTS.map((service) => bundleService(path.join(REPO, "services", service))));
}
