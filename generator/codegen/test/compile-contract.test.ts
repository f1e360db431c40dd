import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { cli, copyFixture, REPO } from "./helpers.js";

/**
 * Contract changes reach services through the compiler: adding a received operation to a contract and
 * regenerating makes a service that does not implement it fail to type-check.
 */
const work = mkdtempSync(path.join(REPO, "generated", ".compile-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SERVICE = `
import { success } from "@asyncgen/runtime";
import type { KitchenHandlers } from "./out/kitchen/index.js";

export const kitchen: KitchenHandlers = {
  cookDish: async () => success(null),
};
`;

function typeErrors(dir: string): string[] {
  const base = JSON.parse(readFileSync(path.join(REPO, "tsconfig.base.json"), "utf8")) as {
    compilerOptions: object;
  };
  const { options } = ts.convertCompilerOptionsFromJson(base.compilerOptions, dir);
  const program = ts.createProgram([path.join(dir, "service.ts")], { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("a contract change reaches the service through tsc", () => {
  it("compiles the generated code and a complete implementation under strict", async () => {
    const contracts = copyFixture("basic");
    expect(
      (await cli("generate", "--contracts-dir", contracts, "--out", path.join(work, "a/out"))).code,
    ).toBe(0);
    writeFileSync(path.join(work, "a/service.ts"), SERVICE);
    expect(typeErrors(path.join(work, "a"))).toEqual([]);
  });

  it("fails to compile the same implementation once the contract adds an operation", async () => {
    const contracts = copyFixture("basic");
    const kitchen = path.join(contracts, "kitchen.yaml");
    const added = readFileSync(kitchen, "utf8")
      .replace(
        "operations:\n",
        `operations:
  washDishes:
    action: receive
    channel:
      $ref: "#/channels/orders"
    messages:
      - $ref: "#/channels/orders/messages/washDishes"
`,
      )
      .replace(
        '      cookDish:\n        $ref: "#/components/messages/CookDish"\n',
        `      cookDish:
        $ref: "#/components/messages/CookDish"
      washDishes:
        name: kitchen.wash_dishes
        payload:
          title: WashDishes
          type: object
          additionalProperties: false
          properties: {}
`,
      );
    writeFileSync(kitchen, added);
    mkdirSync(path.join(work, "b"), { recursive: true });
    expect((await cli("generate", kitchen, "--out", path.join(work, "b/out"))).code).toBe(0);
    writeFileSync(path.join(work, "b/service.ts"), SERVICE);
    const errors = typeErrors(path.join(work, "b"));
    expect(errors.join("\n")).toMatch(/Property 'washDishes' is missing/);
  });
});
