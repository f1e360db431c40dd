import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, copyFixture } from "./helpers.js";

describe("generate --check", () => {
  it("passes on fresh output and lists a changed, a missing and an extra file without touching them", async () => {
    const contracts = copyFixture("basic");
    const out = mkdtempSync(path.join(tmpdir(), "asyncgen-check-"));
    expect((await cli("generate", "--contracts-dir", contracts, "--out", out)).code).toBe(0);
    expect((await cli("generate", "--check", "--contracts-dir", contracts, "--out", out)).code).toBe(0);

    appendFileSync(path.join(out, "kitchen/messages.ts"), "// hand edit\n");
    rmSync(path.join(out, "waiter/index.ts"));
    writeFileSync(path.join(out, "kitchen/stray.ts"), "export {};\n");
    const result = await cli("generate", "--check", "--contracts-dir", contracts, "--out", out);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`changed  ${out}/kitchen/messages.ts`);
    expect(result.out).toContain(`missing  ${out}/waiter/index.ts`);
    expect(result.out).toContain(`extra    ${out}/kitchen/stray.ts`);
    expect(readFileSync(path.join(out, "kitchen/messages.ts"), "utf8")).toContain("// hand edit");

    expect((await cli("generate", "--contracts-dir", contracts, "--out", out)).code).toBe(0);
    expect((await cli("generate", "--check", "--contracts-dir", contracts, "--out", out)).code).toBe(0);
  });

  it("names the stale files when a contract field is renamed", async () => {
    const contracts = copyFixture("basic");
    const out = mkdtempSync(path.join(tmpdir(), "asyncgen-rename-"));
    await cli("generate", "--contracts-dir", contracts, "--out", out);
    const kitchen = path.join(contracts, "kitchen.yaml");
    writeFileSync(kitchen, readFileSync(kitchen, "utf8").replaceAll("ordered_at", "ordered_on"));
    const result = await cli("generate", "--check", "--contracts-dir", contracts, "--out", out);
    expect(result.code).toBe(1);
    // The kitchen declares the schema (type and validator); the waiter imports it, and its banner hashes kitchen.yaml.
    expect(result.out).toContain(`changed  ${out}/kitchen/messages.ts`);
    expect(result.out).toContain(`changed  ${out}/kitchen/validators.js`);
    expect(result.out).toContain(`changed  ${out}/waiter/messages.ts`);
  });

  it("the committed generated/ matches the repository's contracts", async () => {
    const result = await cli("generate", "--check");
    expect(result.out).toContain("matches the contracts");
    expect(result.code).toBe(0);
  });
});

describe("generate --check without parsing", () => {
  it("answers from the manifest when nothing changed, and still catches a hand edit", async () => {
    const contracts = copyFixture("basic");
    const out = mkdtempSync(path.join(tmpdir(), "asyncgen-fast-"));
    await cli("generate", "--contracts-dir", contracts, "--out", out);
    const fast = await cli("generate", "--check", "--contracts-dir", contracts, "--out", out);
    expect(fast.code).toBe(0);
    expect(fast.out).toContain("unchanged since it was generated");
    appendFileSync(path.join(out, "waiter/client.ts"), "// hand edit\n");
    const slow = await cli("generate", "--check", "--contracts-dir", contracts, "--out", out);
    expect(slow.code).toBe(1);
    expect(slow.out).toContain(`changed  ${out}/waiter/client.ts`);
  });
});

describe("generator fingerprint", () => {
  it("covers the code and templates that shape the output, and not the diff or lint commands", async () => {
    const { generatorSources } = await import("../src/output/manifest.js");
    const sources = generatorSources();
    expect(sources).toEqual(
      expect.arrayContaining([
        "emit/types.ts",
        "model/build-model.ts",
        "load/load-contracts.ts",
        "diff/graph.ts", // the docs draw the message flow from it
        "templates/client.ts.hbs",
        "templates/docs/index.html.hbs",
      ]),
    );
    expect(sources).not.toContain("diff/report.ts");
    expect(sources).not.toContain("lint/lint.ts");
    expect(sources).not.toContain("cli.ts");
  });
});
