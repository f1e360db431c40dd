import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CODEGEN_ERROR_CODES } from "../src/errors.js";
import { COMPATIBILITIES } from "../src/diff/policy.js";
import { DIFF_RULES } from "../src/diff/rules.js";
import { LINT_RULES } from "../src/lint/lint.js";
import { SAGA_ERROR_CODES } from "@asyncgen/saga";
import { ERROR_CODES } from "@asyncgen/runtime";
import { CONTRACT_CASES, SCHEMA_CASES, VERDICTS } from "./diff/fixture-cases.js";

/** The README's tables and the code's registries name the same codes, in both directions. */
const readme = readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");
/** The first column of the table under a README heading. */
function documented(heading: string): string[] {
  const section = readme.split(`\n${heading}\n`)[1]?.split(/\n#{2,3} /)[0] ?? "";
  return [...section.matchAll(/^\| `([A-Za-z_-]+)` \|/gm)].map((m) => m[1]!);
}

describe("documented codes", () => {
  it.each([
    ["### Runtime error codes", ERROR_CODES],
    ["### Error codes", CODEGEN_ERROR_CODES],
    ["### Lint rules", LINT_RULES],
    ["### Orchestration error codes", SAGA_ERROR_CODES],
  ])(
    "%s: every code is in the README table with its meaning, and every row is a real code",
    (heading, registry) => {
      expect(documented(heading).sort()).toEqual(Object.keys(registry).sort());
      for (const [code, meaning] of Object.entries(registry))
        expect(readme).toContain(`| \`${code}\` | ${meaning} |`);
    },
  );
});

describe("documented diff rules", () => {
  const generatorReadme = readFileSync(path.resolve(import.meta.dirname, "../README.md"), "utf8");
  const section = generatorReadme
    .split("\n### Who breaks: deployment orders and the compatibility policy\n")[1]!
    .split(/\n### /)[0]!;
  const rows = [...section.matchAll(/^\| `([a-z-]+)` \|(.*)\|$/gm)].map((m) => {
    const cells = m[2]!.split(" | ").map((c) => c.trim());
    return { rule: m[1]!, orders: [cells[1]!, cells[2]!], verdicts: cells.slice(3, 7) };
  });

  it("the generator README's rule table lists exactly the rules of asyncgen diff", () => {
    expect(rows.map((r) => r.rule).sort()).toEqual(Object.keys(DIFF_RULES).sort());
  });

  it("gives each policy's verdict as the orders a rule may break make it", () => {
    const order = (cell: string) => (cell === "works" ? "works" : "breaks");
    for (const { rule, orders, verdicts } of rows) {
      const [receiversFirst, sendersFirst] = orders.map(order);
      const broken =
        receiversFirst === "breaks"
          ? sendersFirst === "breaks"
            ? "both"
            : "receivers-first"
          : sendersFirst === "breaks"
            ? "senders-first"
            : "safe";
      expect(verdicts, rule).toEqual(COMPATIBILITIES.map((policy) => VERDICTS[broken][policy]));
    }
  });

  it("says of each rule what its fixture pairs show: an order that breaks, or works, in every case", () => {
    const cases = Object.values({ ...SCHEMA_CASES, ...CONTRACT_CASES }).flatMap((c) => [
      ...c.oldToNew,
      ...c.newToOld,
    ]);
    for (const { rule, orders } of rows) {
      const seen = cases.filter((line) => line.split(" ")[0] === rule).map((line) => line.split(" ")[1]!);
      expect(seen.length, `${rule} has a fixture`).toBeGreaterThan(0);
      const [receiversFirst, sendersFirst] = orders;
      for (const broken of seen) {
        const breaksReceiversFirst = broken === "both" || broken === "receivers-first";
        const breaksSendersFirst = broken === "both" || broken === "senders-first";
        if (receiversFirst === "breaks") expect(breaksReceiversFirst, rule).toBe(true);
        if (receiversFirst === "works") expect(breaksReceiversFirst, rule).toBe(false);
        if (sendersFirst === "breaks") expect(breaksSendersFirst, rule).toBe(true);
        if (sendersFirst === "works") expect(breaksSendersFirst, rule).toBe(false);
      }
    }
  });
});
