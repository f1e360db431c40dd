import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/index.js";

/** The README's error table and the code registry must list the same codes with the same descriptions. */
describe("README error table", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const rows = new Map(
    [...readme.matchAll(/^\| `([A-Z_]+)` \| (.+?) \|$/gm)].map((m) => [m[1]!, m[2]!.trim()] as const),
  );

  it("documents every code of the registry, with its description", () => {
    for (const [code, description] of Object.entries(ERROR_CODES))
      expect(rows.get(code), code).toBe(description);
  });

  it("documents no code the registry lacks", () => {
    expect([...rows.keys()].filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });
});
