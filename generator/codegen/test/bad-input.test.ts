import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, FIXTURES } from "./helpers.js";

const BAD = "generator/codegen/test/fixtures/bad";

// Each class of bad input: exit 2, the rule's code, and file:line:col of the offending place.
const CASES: [file: string, code: string, at: string, says: RegExp][] = [
  ["yaml-syntax.yaml", "CODEGEN_YAML_SYNTAX", "yaml-syntax.yaml:4:3", /Flow sequence/],
  [
    "schema-violation.yaml",
    "CODEGEN_CONTRACT_INVALID",
    "schema-violation.yaml:39:13",
    /"action" property must be equal/,
  ],
  [
    "unresolved-file.yaml",
    "CODEGEN_UNRESOLVED_REF",
    "unresolved-file.yaml:58:9",
    /shared\/missing\.yaml.*not found/,
  ],
  [
    "unresolved-pointer.yaml",
    "CODEGEN_UNRESOLVED_REF",
    "unresolved-pointer.yaml:60:15",
    /NoSuchDish' does not exist/,
  ],
  [
    "unsupported-version.yaml",
    "CODEGEN_UNSUPPORTED_VERSION",
    "unsupported-version.yaml:1:1",
    /asyncgen reads AsyncAPI 3\.0\.0/,
  ],
  ["remote-ref.yaml", "CODEGEN_REMOTE_REF", "remote-ref.yaml:58:9", /--allow-remote-refs/],
];

describe("bad contracts", () => {
  it.each(CASES)("%s exits 2 with %s at its location and writes nothing", async (file, code, at, says) => {
    const out = mkdtempSync(path.join(tmpdir(), "asyncgen-out-"));
    writeFileSync(path.join(out, "keep.txt"), "untouched");
    const result = await cli("generate", `${BAD}/${file}`, "--out", out);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${BAD}/${at} ${code}`);
    expect(result.err).toMatch(says);
    expect(readdirSync(out)).toEqual(["keep.txt"]);
  });

  it("reports every bad contract of a run, not only the first", async () => {
    const result = await cli(
      "generate",
      `${BAD}/yaml-syntax.yaml`,
      `${BAD}/unsupported-version.yaml`,
      "--out",
      "/nonexistent/out",
    );
    expect(result.code).toBe(2);
    expect(result.err).toContain("CODEGEN_YAML_SYNTAX");
    expect(result.err).toContain("CODEGEN_UNSUPPORTED_VERSION");
    expect(existsSync("/nonexistent/out")).toBe(false);
  });

  it("reports both places of a name collision, and every problem of one contract, not the first", async () => {
    const result = await cli("generate", `${BAD}/name-collision.yaml`, "--out", "/nonexistent/out");
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      `${BAD}/name-collision.yaml:24:7 CODEGEN_NAME_COLLISION two different schemas are both named Address: ` +
        "#/channels/deliveries/messages/pickedUp/payload/properties/from and " +
        "#/channels/deliveries/messages/droppedOff/payload/properties/to",
    );
    expect(result.err).toMatch(
      /name-collision\.yaml:39:3 CODEGEN_NAME_COLLISION operations delivery\.picked-up \(.*name-collision\.yaml:35:3\) and delivery\/pickedUp would both be the method deliveryPickedUp/,
    );
    expect(existsSync("/nonexistent/out")).toBe(false);
  });

  it("lint and generate --check report the same problems, every one of them", async () => {
    for (const args of [["lint"], ["generate", "--check", "--out", "/nonexistent/out"]]) {
      const result = await cli(...args, `${BAD}/name-collision.yaml`, `${BAD}/unsupported-version.yaml`);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.err.match(/CODEGEN_NAME_COLLISION/g), args.join(" ")).toHaveLength(2);
      expect(result.err, args.join(" ")).toContain("CODEGEN_UNSUPPORTED_VERSION");
    }
  });

  it("two contracts with one service name are an error naming both, never a merged folder", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "asyncgen-dup-"));
    const doc = readFileSync(path.join(FIXTURES, "corpus/v3-1/parcel-lockers.yaml"), "utf8");
    mkdirSync(path.join(dir, "parcel-lockers"));
    writeFileSync(path.join(dir, "parcel-lockers/asyncapi.yaml"), doc);
    writeFileSync(path.join(dir, "parcel-lockers.yaml"), doc);
    // info.x-asyncgen-service names a third copy apart, so it is no conflict.
    mkdirSync(path.join(dir, "other"));
    writeFileSync(
      path.join(dir, "other/asyncapi.yaml"),
      doc.replace("info:\n", "info:\n  x-asyncgen-service: lockers-v2\n"),
    );
    const out = path.join(dir, "out");
    const result = await cli("generate", "--contracts-dir", dir, "--out", out);
    expect(result.code).toBe(2);
    expect(result.err.split("\n")).toEqual([
      expect.stringMatching(
        /parcel-lockers\/asyncapi\.yaml:2:1 CODEGEN_NAME_COLLISION .*\/parcel-lockers\.yaml and .*\/parcel-lockers\/asyncapi\.yaml are both the service parcel-lockers/,
      ),
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it("lint also exits 2 on a contract that does not parse", async () => {
    const result = await cli("lint", `${BAD}/schema-violation.yaml`);
    expect(result.code).toBe(2);
  });

  it("rejects unknown options and missing commands with exit 2", async () => {
    expect((await cli("generate", "--no-such-flag")).code).toBe(2);
    expect((await cli()).code).toBe(2);
    expect((await cli("frobnicate")).code).toBe(2);
  });
});
