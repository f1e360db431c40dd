import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { GeneratedFile } from "../emit/generated-file.js";

/** Names in the output folder the generator never owns. */
const FOREIGN = new Set(["node_modules"]);

export interface Scope {
  /** Service folders this run generates; only these (and the root files) are written or compared. */
  readonly services: readonly string[];
  /** When every contract was generated, service folders without a contract are extra (stale) output. */
  readonly complete: boolean;
}

export interface Drift {
  readonly changed: string[];
  readonly missing: string[];
  readonly extra: string[];
}

/** Compares generated files with the output folder without touching it. Lists every difference, not the first. */
export function compareTree(outDir: string, files: readonly GeneratedFile[], scope: Scope): Drift {
  const drift: Drift = { changed: [], missing: [], extra: [] };
  const expected = new Set(files.map((f) => f.path));
  for (const file of files) {
    const target = path.join(outDir, file.path);
    if (!existsSync(target)) drift.missing.push(file.path);
    else if (readFileSync(target, "utf8") !== file.content) drift.changed.push(file.path);
  }
  for (const present of ownedFiles(outDir, scope)) if (!expected.has(present)) drift.extra.push(present);
  drift.extra.sort();
  return drift;
}

/**
 * Writes the files so that the output is never half-written: everything goes to a temporary folder beside the
 * output first, then each service folder is swapped in with a rename.
 */
export function writeTree(outDir: string, files: readonly GeneratedFile[], scope: Scope): void {
  mkdirSync(outDir, { recursive: true });
  const staging = path.join(outDir, `.asyncgen-staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const file of files) {
      const target = path.join(staging, file.path);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    // Each top-level folder (a service, the docs) is swapped in whole.
    const folders = [...new Set(files.filter((f) => f.path.includes("/")).map((f) => f.path.split("/")[0]!))];
    for (const folder of folders) swap(path.join(staging, folder), path.join(outDir, folder));
    for (const file of files.filter((f) => !f.path.includes("/"))) {
      renameSync(path.join(staging, file.path), path.join(outDir, file.path));
    }
    if (scope.complete) {
      const known = new Set([...folders, ...files.map((f) => f.path)]);
      for (const entry of readdirSync(outDir)) {
        if (!known.has(entry) && !FOREIGN.has(entry) && !entry.startsWith(".")) {
          rmSync(path.join(outDir, entry), { recursive: true, force: true });
        }
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function swap(from: string, to: string): void {
  const old = `${to}.asyncgen-old-${process.pid}`;
  if (existsSync(to)) renameSync(to, old);
  renameSync(from, to);
  rmSync(old, { recursive: true, force: true });
}

/** Files in the output folder the generator is responsible for within this scope. */
export function ownedFiles(outDir: string, scope: Scope): string[] {
  if (!existsSync(outDir)) return [];
  const owned: string[] = [];
  for (const entry of readdirSync(outDir)) {
    if (FOREIGN.has(entry) || entry.startsWith(".")) continue;
    const isDir = statSync(path.join(outDir, entry)).isDirectory();
    if (!isDir) {
      owned.push(entry);
    } else if (scope.services.includes(entry) || scope.complete) {
      owned.push(...listFiles(path.join(outDir, entry)).map((f) => `${entry}/${f}`));
    }
  }
  return owned;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? FOREIGN.has(entry.name)
        ? []
        : listFiles(path.join(dir, entry.name)).map((f) => `${entry.name}/${f}`)
      : [entry.name],
  );
}
