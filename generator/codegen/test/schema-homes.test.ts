import { readdirSync, readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Validator } from "@asyncgen/runtime";
import { SHARED_FOLDER, schemaHomes } from "../src/model/schema-homes.js";
import type { JsonSchema, NamedSchema } from "../src/model/service-model.js";
import { cli, copyFixture, listTree, REPO } from "./helpers.js";

/** A named schema as the model holds it; only name, schema and file matter for linking. */
function schema(name: string, file: string | undefined, body: JsonSchema = { type: "object" }): NamedSchema {
  return {
    name,
    schema: body,
    description: undefined,
    origin: "title",
    place: "#/components/schemas/x",
    location: { file: file ?? "?", line: 1, column: 1 },
    file,
  };
}

describe("schema homes: one schema, one folder", () => {
  it("a schema written in another contract of the run is imported from that contract's folder", () => {
    const homes = schemaHomes([
      { service: "kitchen", file: "kitchen.yaml", schemas: [schema("Dish", "kitchen.yaml")] },
      { service: "waiter", file: "waiter.yaml", schemas: [schema("Dish", "kitchen.yaml")] },
    ]);
    expect([...homes.services.get("waiter")!.imports]).toEqual([["Dish", "kitchen"]]);
    expect(homes.services.get("kitchen")!.imports.size).toBe(0);
    expect(homes.shared).toBeUndefined();
  });

  it("a schema of a file that is no contract is declared once in the shared folder", () => {
    const headers = schema("Headers", "shared/headers.yaml");
    const homes = schemaHomes([
      { service: "a", file: "a.yaml", schemas: [headers] },
      { service: "b", file: "b.yaml", schemas: [headers] },
    ]);
    expect(homes.services.get("a")!.imports.get("Headers")).toBe(SHARED_FOLDER);
    expect(homes.services.get("b")!.imports.get("Headers")).toBe(SHARED_FOLDER);
    expect(homes.shared!.schemas.map((s) => s.name)).toEqual(["Headers"]);
    expect(homes.shared!.imports.size).toBe(0);
  });

  it("a folder keeps its own copy when the home does not declare the schema with the same content", () => {
    const homes = schemaHomes([
      // kitchen never uses Dish (no message of it), so it does not declare it.
      { service: "kitchen", file: "kitchen.yaml", schemas: [] },
      { service: "waiter", file: "waiter.yaml", schemas: [schema("Dish", "kitchen.yaml")] },
      // A shared name with other content (another shared file) is not the shared one.
      { service: "bar", file: "bar.yaml", schemas: [schema("Headers", "x.yaml", { type: "string" })] },
      { service: "bistro", file: "bistro.yaml", schemas: [schema("Headers", "y.yaml", { type: "integer" })] },
    ]);
    expect(homes.services.get("waiter")!.imports.size).toBe(0);
    expect(homes.services.get("bar")!.imports.get("Headers")).toBe(SHARED_FOLDER);
    expect(homes.services.get("bistro")!.imports.size).toBe(0);
  });

  it("a schema of a contract outside the run is copied, not imported from a folder nobody writes", () => {
    const homes = schemaHomes(
      [{ service: "waiter", file: "waiter.yaml", schemas: [schema("Dish", "kitchen.yaml")] }],
      (file) => file === "kitchen.yaml",
    );
    expect(homes.services.get("waiter")!.imports.size).toBe(0);
    expect(homes.shared).toBeUndefined();
  });

  it("the shared folder takes along what its schemas refer to, importing it from its home", () => {
    const item = schema("Item", "kitchen.yaml");
    const order = schema("Order", "shared/order.yaml", { type: "object", items: { $ref: "#/$defs/Item" } });
    const homes = schemaHomes([
      { service: "kitchen", file: "kitchen.yaml", schemas: [item] },
      { service: "waiter", file: "waiter.yaml", schemas: [order, item] },
    ]);
    expect(homes.shared!.schemas.map((s) => s.name)).toEqual(["Order", "Item"]);
    expect([...homes.shared!.imports]).toEqual([["Item", "kitchen"]]);
  });
});

describe("the repository's generated/ declares each schema once", () => {
  const GENERATED = path.join(REPO, "generated");
  const folders = readdirSync(GENERATED, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== "docs")
    .map((e) => e.name);
  const declared = (folder: string, file: string, pattern: RegExp): string[] => {
    const text = readFileSync(path.join(GENERATED, folder, file), "utf8");
    return [...text.matchAll(pattern)].map((m) => m[1]!);
  };

  it("one validator and one type per schema across every folder", () => {
    const validators = folders.flatMap((f) =>
      listTree(path.join(GENERATED, f)).includes("validators.d.ts")
        ? declared(f, "validators.d.ts", /^export declare const (\w+)/gm)
        : [],
    );
    expect(validators.length).toBeGreaterThanOrEqual(10);
    expect(new Set(validators).size).toBe(validators.length);
    const types = folders.flatMap((f) => declared(f, "messages.ts", /^export (?:interface|type) (\w+)/gm));
    expect(new Set(types).size).toBe(types.length);
  });

  it("CreateTicketPayload lives in the restaurant service's folder; the order service imports it", () => {
    const where = folders.filter((f) =>
      declared(f, "messages.ts", /^export interface (\w+)/gm).includes("CreateTicketPayload"),
    );
    expect(where).toEqual(["restaurant-service"]);
    const order = readFileSync(path.join(GENERATED, "order-service/messages.ts"), "utf8");
    expect(order).toMatch(
      /import \{[^}]*\bvalidateCreateTicketPayload\b[^}]*\} from "\.\.\/restaurant-service\/validators\.js";/,
    );
    // contracts/shared/ is written once, in generated/shared/.
    expect(declared("shared", "messages.ts", /^export (?:interface|type) (\w+)/gm).sort()).toEqual([
      "EmptyPayload",
      "SagaErrorPayload",
      "SagaHeaders",
    ]);
  });

  it("a components.schemas entry no message uses gets a type and a validator (the POST /orders body)", async () => {
    const { validators } = (await import("@saga/generated/order-service")) as unknown as {
      validators: Record<string, Validator>;
    };
    const validate = validators.validateCreateOrderRequest!;
    const order = { consumer_id: 70, card_id: 1, price: 30, items: [{ name: "Dish 1", quantity: 2 }] };
    expect(validate(order)).toBe(true);
    expect(validate({ ...order, items: [] })).toBe(false);
    expect(validate({ ...order, price: -1, extra: true })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath).sort()).toEqual(["", "/price"]);
  });
});

describe("a selection writes what a full run writes for its folders", () => {
  it("--services writes the selected folder and those it imports from, as a full run does", async () => {
    const dir = copyFixture("basic");
    const full = mkdtempSync(path.join(tmpdir(), "asyncgen-homes-full-"));
    const some = mkdtempSync(path.join(tmpdir(), "asyncgen-homes-some-"));
    try {
      expect((await cli("generate", "--contracts-dir", dir, "--out", full)).code).toBe(0);
      const selected = await cli("generate", "--contracts-dir", dir, "--out", some, "--services", "waiter");
      expect(selected.err).toBe("");
      expect(selected.code).toBe(0);
      // The waiter imports from the kitchen and shared/, so those are written along, as a full run writes them.
      expect(selected.out).toContain("for waiter to ");
      expect(selected.out).toContain("(with kitchen, which it imports from)");
      const written = listTree(some).filter((f) => f.includes("/"));
      expect(new Set(written.map((f) => f.split("/")[0]))).toEqual(new Set(["waiter", "kitchen", "shared"]));
      for (const file of written)
        expect(readFileSync(path.join(some, file), "utf8"), file).toBe(
          readFileSync(path.join(full, file), "utf8"),
        );
    } finally {
      for (const d of [dir, full, some]) rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);
});
