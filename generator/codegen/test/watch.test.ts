import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { watchGenerate } from "../src/watch/watch-generate.js";
import { copyFixture } from "./helpers.js";

/** Resolves once a printed line matches, failing with everything printed when it does not come. */
function printed(lines: string[], pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (lines.some((line) => pattern.test(line))) resolve();
      else if (Date.now() > deadline)
        reject(new Error(`no line matching ${pattern} in:\n${lines.join("\n")}`));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

it("regenerates on a contract change, prints what changed, and keeps watching through a broken contract", async () => {
  const dir = copyFixture("basic");
  const out = path.join(dir, "gen");
  const kitchen = path.join(dir, "kitchen.yaml");
  const original = readFileSync(kitchen, "utf8");
  const lines: string[] = [];
  const controller = new AbortController();
  const watching = watchGenerate(
    { contracts: [], contractsDir: dir, out, check: false, allowRemoteRefs: false },
    (line) => lines.push(line),
    controller.signal,
  );
  await printed(lines, /^asyncgen: watching /);
  expect(lines.filter((l) => l.startsWith("  added")).length).toBeGreaterThan(10); // the first generation

  lines.length = 0;
  writeFileSync(kitchen, original.replace("summary: Cooks one dish.", "summary: Cooks one dish, slowly."));
  await printed(lines, /^ {2}changed {2}.*gen\/kitchen\/handlers\.ts$/);
  expect(lines[0]).toMatch(/kitchen\.yaml changed; regenerating$/);
  expect(readFileSync(path.join(out, "kitchen/handlers.ts"), "utf8")).toContain("Cooks one dish, slowly.");

  lines.length = 0;
  writeFileSync(kitchen, "asyncapi: 3.0.0\ninfo: [\n");
  await printed(lines, /watching for the fix$/);
  expect(lines.some((l) => /^✘ .*kitchen\.yaml:\d+:\d+ CODEGEN_YAML_SYNTAX/.test(l))).toBe(true);
  expect(readFileSync(path.join(out, "kitchen/handlers.ts"), "utf8")).toContain("Cooks one dish, slowly."); // untouched

  lines.length = 0;
  writeFileSync(kitchen, original);
  await printed(lines, /^ {2}changed {2}.*gen\/kitchen\/handlers\.ts$/);
  controller.abort();
  await expect(watching).resolves.toBe(0);
}, 180_000);
