import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "../src/cli.js";

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
