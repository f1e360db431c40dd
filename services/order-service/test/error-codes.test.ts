import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HTTP_ERROR_CODES } from "../src/http/error-codes.js";

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), "utf8");

describe("HTTP error codes", () => {
  const readme = read("../../../README.md");
  const section = readme.split("\n### HTTP error codes\n")[1]!.split(/\n#{2,3} |\n!\[/)[0]!;

  it("the README table lists exactly the registry, with each meaning", () => {
    const rows = new Map([...section.matchAll(/^\| `([A-Z_]+)` \| (.+?) \|$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.fromEntries(rows)).toEqual(HTTP_ERROR_CODES);
  });

  it("the server answers only with registered codes", () => {
    const server = read("../src/http/server.ts");
    const used = new Set([...server.matchAll(/"(HTTP_[A-Z_]+)"/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((code) => !(code in HTTP_ERROR_CODES))).toEqual([]);
  });
});
