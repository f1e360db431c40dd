import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { CodegenError } from "../src/errors.js";
import { copyFixture, REPO } from "./helpers.js";

const BIN = path.join(REPO, "generator/codegen/bin/asyncgen.js");

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "asyncgen-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function problem(dir: string): string {
  try {
    loadConfig(dir);
  } catch (error) {
    if (error instanceof CodegenError) return error.message;
    throw error;
  }
  throw new Error("expected CODEGEN_CONFIG_INVALID");
}

/** The CLI on plain node in `cwd`; returns exit code and output. */
function asyncgen(cwd: string, ...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync("node", [BIN, ...args], { cwd, encoding: "utf8", stdio: "pipe" }) };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, out: failed.stdout + failed.stderr };
  }
}

describe("asyncgen configuration", () => {
  it.each([
    ["asyncgen.config.json", '{ "out": "gen", "services": ["a"] }'],
    ["asyncgen.config.yaml", "out: gen\nservices: [a]\n"],
    ["package.json", '{ "name": "x", "asyncgen": { "out": "gen", "services": ["a"] } }'],
  ])("is read from %s", (file, text) => {
    expect(loadConfig(folder({ [file]: text }))).toEqual({ out: "gen", services: ["a"] });
  });

  it("is empty without a configuration", () => {
    expect(loadConfig(folder({ "package.json": '{ "name": "x" }' }))).toEqual({});
  });

  it.each([
    [
      "an unknown setting, at its line",
      { "asyncgen.config.yaml": "out: gen\noutput: x\n" },
      /asyncgen.config.yaml:2:1 CODEGEN_CONFIG_INVALID unknown setting output/,
    ],
    [
      "a mistyped setting",
      { "asyncgen.config.json": '{\n  "services": "a"\n}' },
      /asyncgen.config.json:2:3 CODEGEN_CONFIG_INVALID services must be a list/,
    ],
    [
      "a bad package name",
      { "package.json": '{ "asyncgen": { "packageName": "Not A Name" } }' },
      /packageName must be an npm package name/,
    ],
    [
      "two configurations",
      { "asyncgen.config.json": "{}", "package.json": '{ "asyncgen": {} }' },
      /two configurations: asyncgen.config.json and package.json#asyncgen/,
    ],
    ["a syntax error", { "asyncgen.config.yaml": "out: [\n" }, /CODEGEN_YAML_SYNTAX/],
  ])("refuses %s", (_name, files, message) => {
    expect(problem(folder(files))).toMatch(message);
  });

  it("drives generate (folder, package name, services), and a flag wins over it", () => {
    const dir = copyFixture("basic");
    writeFileSync(
      path.join(dir, "asyncgen.config.json"),
      JSON.stringify({ contracts: ".", out: "gen", packageName: "@acme/contracts", services: ["kitchen"] }),
    );
    const generated = asyncgen(dir, "generate");
    expect(generated).toMatchObject({ code: 0, out: expect.stringContaining("for kitchen to gen") });
    expect(JSON.parse(readFileSync(path.join(dir, "gen/package.json"), "utf8")).name).toBe("@acme/contracts");

    const flagged = asyncgen(
      dir,
      "generate",
      "--out",
      "other",
      "--package-name",
      "shop-contracts",
      "--services",
      "waiter",
    );
    expect(flagged).toMatchObject({ code: 0, out: expect.stringContaining("for waiter to other") });
    expect(JSON.parse(readFileSync(path.join(dir, "other/package.json"), "utf8")).name).toBe(
      "shop-contracts",
    );
    expect(asyncgen(dir, "generate", "--services", "nobody")).toMatchObject({
      code: 2,
      out: expect.stringContaining(
        "CODEGEN_NO_CONTRACTS no contract for service nobody (have: kitchen, waiter)",
      ),
    });
  });

  it("takes globs instead of a folder, as the complete contract set", () => {
    const dir = copyFixture("basic");
    writeFileSync(path.join(dir, "asyncgen.config.yaml"), "contracts: ['*.yaml']\nout: gen\n");
    expect(asyncgen(dir, "generate")).toMatchObject({
      code: 0,
      out: expect.stringContaining("for kitchen, waiter to gen"),
    });
    expect(asyncgen(dir, "generate", "--check")).toMatchObject({ code: 0 });
    expect(asyncgen(dir, "lint")).toMatchObject({ code: 0, out: expect.stringContaining("2 contracts") });
  });

  it("prints the version", () => {
    const version = JSON.parse(
      readFileSync(path.join(REPO, "generator/codegen/package.json"), "utf8"),
    ).version;
    expect(asyncgen(tmpdir(), "--version").out.trim()).toBe(version);
  });
});
