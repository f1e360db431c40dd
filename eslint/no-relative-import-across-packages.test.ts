import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/** The repository's ESLint config on imports a file would have, at the place it would have them. */
const REPO = path.resolve(import.meta.dirname, "..");
const eslint = new ESLint({ cwd: REPO });

async function crossings(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return result!.messages
    .filter((m) => m.ruleId === "repo/no-relative-import-across-packages")
    .map((m) => code.split("\n")[m.line - 1]!.trim());
}

describe("repo/no-relative-import-across-packages", () => {
  it("refuses relative imports, re-exports and dynamic imports that leave the package", async () => {
    const code = [
      'import { startSystem } from "../../order-service/testing/index.js";',
      'export { SagaEngine } from "../../../generator/saga/src/index.js";',
      'export * from "../../../generated/order-service/index.js";',
      'export const run = () => import("../../../bench/run.js");',
      "void startSystem;",
    ].join("\n");
    expect(await crossings("services/system/faults/probe.ts", code)).toEqual(code.split("\n").slice(0, 4));
    expect(
      await crossings("bench/probe.ts", 'export * from "../services/system/faults/harness.js";'),
    ).toHaveLength(1);
  });

  it("lets relative imports inside the package pass, however deep", async () => {
    const code = [
      'export * from "./harness.js";',
      'export * from "../src/main.js";',
      'export * from "../../system/test/helpers.js";',
    ].join("\n");
    expect(await crossings("services/system/faults/probe.ts", code)).toEqual([]);
    expect(await crossings("bench/probe.ts", 'export * from "./run.js";')).toEqual([]);
  });
});
