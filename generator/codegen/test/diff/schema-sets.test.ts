import { describe, expect, it } from "vitest";
import { diffSchemas } from "../../src/diff/schema-diff.js";
import { schemaContext } from "../../src/diff/schema-walk.js";
import type { JsonSchema } from "../../src/model/service-model.js";

/** Branch lists as sets, straight on the schemas (the fixture pairs cover the same through whole contracts). */
const side = (node: JsonSchema) => ({
  root: { $ref: "#/$defs/Node" },
  context: schemaContext([{ name: "Node", schema: node }]),
});
const tree = (branches: readonly unknown[]): JsonSchema => ({
  type: "object",
  properties: { children: { type: "array", items: { anyOf: branches } } },
});
const rules = (node: JsonSchema, other: JsonSchema) =>
  diffSchemas(side(node), side(other)).map((c) => `${c.rule} ${c.effect} ${c.path}`);

describe("branch lists compared as sets", () => {
  it("ends on recursive schemas, and finds reordered branches the same", () => {
    const self = { $ref: "#/$defs/Node" };
    expect(rules(tree([self, { type: "null" }]), tree([{ type: "null" }, self]))).toEqual([]);
  });

  it("reports a branch added to a recursive schema's anyOf once", () => {
    const self = { $ref: "#/$defs/Node" };
    expect(rules(tree([self, { type: "null" }]), tree([self, { type: "null" }, { type: "string" }]))).toEqual(
      ["branch-added widens /children/[]"],
    );
  });

  it("merges allOf members exactly, and leaves the rest opaque", () => {
    const plain: JsonSchema = { type: "integer", minimum: 1 };
    expect(rules(plain, { allOf: [{ type: "integer" }, { minimum: 1 }] })).toEqual([]);
    // Bounds merge to their intersection: minimum 1 and minimum 3 is minimum 3.
    expect(rules(plain, { allOf: [{ type: "integer", minimum: 1 }, { minimum: 3 }] })).toEqual([
      "constraint-tightened narrows /",
    ]);
    // additionalProperties: false sees only its own member's properties: not the same as one merged object.
    const split: JsonSchema = {
      allOf: [
        { type: "object", additionalProperties: false, properties: { a: { type: "string" } } },
        { properties: { b: { type: "string" } } },
      ],
    };
    expect(
      rules(
        {
          type: "object",
          additionalProperties: false,
          properties: { a: { type: "string" }, b: { type: "string" } },
        },
        split,
      ),
    ).toEqual(["schema-changed both /"]);
  });

  it("takes a oneOf of disjoint branches (a discriminated union) as an anyOf, and any other oneOf as changed both ways", () => {
    const variant = (kind: string) => ({
      type: "object",
      required: ["kind"],
      properties: { kind: { const: kind }, note: { type: "string" } },
    });
    const union = (kinds: string[]): JsonSchema => ({ oneOf: kinds.map(variant) });
    expect(rules(union(["fire", "smoke"]), union(["fire", "smoke", "flood"]))).toEqual([
      "branch-added widens /",
    ]);
    expect(rules(union(["fire", "smoke", "flood"]), union(["fire", "smoke"]))).toEqual([
      "branch-removed narrows /",
    ]);
    // Without the tag, a value may match two branches: a new branch can also refuse what was valid.
    const open = (n: number): JsonSchema => ({
      oneOf: [
        { type: "object" },
        ...Array.from({ length: n }, (_, i) => ({ type: "object", minProperties: i + 1 })),
      ],
    });
    expect(rules(open(1), open(2))).toEqual(["branch-added both /"]);
  });
});
