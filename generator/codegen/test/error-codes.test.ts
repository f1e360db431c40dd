import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CODEGEN_ERROR_CODES } from "../src/errors.js";
import { DIFF_RULES } from "../src/diff/rules.js";
import { LINT_RULES } from "../src/lint/lint.js";
import { SAGA_ERROR_CODES } from "@asyncgen/saga";
import { ERROR_CODES } from "@asyncgen/runtime";

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
  it("the generator README's rule table lists exactly the rules of asyncgen diff", () => {
    const generatorReadme = readFileSync(path.resolve(import.meta.dirname, "../README.md"), "utf8");
    const section = generatorReadme
      .split("\n### Who breaks: both sides upgrade on their own\n")[1]!
      .split(/\n### /)[0]!;
    const ids = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
    expect(ids.sort()).toEqual(Object.keys(DIFF_RULES).sort());
  });
});
