import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { runCli } from "../src/cli.js";
import type { GeneratedFile } from "../src/emit/generated-file.js";

export const FIXTURES = path.resolve(import.meta.dirname, "fixtures");
export const REPO = path.resolve(import.meta.dirname, "../../..");

/** Runs the CLI in this process (the parser's start-up cost is paid once per test file). */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** A private copy of a fixture folder, to mutate freely. */
export function copyFixture(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `asyncgen-${name}-`));
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** Every file below `dir`, as paths relative to it with `/`. */
export function listTree(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTree(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** The generated files are exactly the golden tree in `dir` (missing or extra files fail); UPDATE_GOLDEN=1 rewrites it. */
export function expectGoldenTree(dir: string, files: readonly GeneratedFile[]): void {
  if (process.env.UPDATE_GOLDEN === "1") {
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
      writeFileSync(path.join(dir, f.path), f.content);
    }
  }
  expect(listTree(dir).sort()).toEqual(files.map((f) => f.path).sort());
  for (const f of files) expect(f.content, f.path).toBe(readFileSync(path.join(dir, f.path), "utf8"));
}
