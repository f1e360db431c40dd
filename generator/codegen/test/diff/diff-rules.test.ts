import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffGraphs, type DiffFinding } from "../../src/diff/contract-diff.js";
import { buildGraph, type ContractGraph } from "../../src/diff/graph.js";
import { DIFF_RULES } from "../../src/diff/rules.js";
import { discoverContracts } from "../../src/load/discover.js";
import { ContractLoader } from "../../src/load/load-contracts.js";
import { buildServiceModel } from "../../src/model/build-model.js";
import { copyFixture, REPO } from "../helpers.js";

/**
 * One fixture pair per rule, made from the basic fixture (kitchen receives cook_dish and owns it and its replies;
 * waiter sends it), judged in both directions: old -> new, and new -> old.
 */
async function graphOf(dir: string): Promise<ContractGraph> {
  const contracts = await new ContractLoader({ root: REPO }).loadAll(discoverContracts(dir));
  return buildGraph(contracts, contracts.map(buildServiceModel));
}

function variant(edits: [file: string, find: string, replace: string][]): string {
  const dir = copyFixture("basic");
  for (const [file, find, replace] of edits) {
    const target = path.join(dir, file);
    const text = readFileSync(target, "utf8");
    if (!text.includes(find)) throw new Error(`fixture edit: ${JSON.stringify(find)} not in ${file}`);
    writeFileSync(target, text.replaceAll(find, replace));
  }
  return dir;
}

type Case = [
  name: string,
  edits: [string, string, string][],
  forward: [string, string],
  backward: [string, string],
];

const K = "kitchen.yaml";
const CASES: Case[] = [
  [
    "a required field on a command",
    [[K, "required: [name, type, status]", "required: [name, type, status, delete]"]],
    ["field-required-added", "breaking"],
    ["field-made-optional", "safe"],
  ],
  [
    "a field of a closed command",
    [[K, "        delete:\n          type: boolean\n", ""]],
    ["field-removed", "breaking"],
    ["field-added", "safe"],
  ],
  [
    "an optional field on a closed reply",
    [
      [
        K,
        "      required: [reason]\n      properties:\n",
        "      required: [reason]\n      properties:\n        chef:\n          type: string\n",
      ],
    ],
    ["field-added", "breaking"],
    ["field-removed", "safe"],
  ],
  [
    "a type",
    [
      [
        K,
        "        reason:\n          type: string\n          maxLength: 200",
        "        reason:\n          type: integer",
      ],
    ],
    ["type-changed", "breaking"],
    ["type-changed", "breaking"],
  ],
  [
    "an enum value of a command",
    [[K, "enum: [starter, main, dessert]", "enum: [starter, main]"]],
    ["enum-value-removed", "breaking"],
    ["enum-value-added", "safe"],
  ],
  [
    "open headers of a command",
    [["shared/headers.yaml", "additionalProperties: true", "additionalProperties: false"]],
    ["additional-properties-closed", "breaking"],
    ["additional-properties-opened", "safe"],
  ],
  [
    "a constraint of a command",
    [[K, "          description: Reserved-looking names stay as on the wire.", "          minLength: 3"]],
    ["constraint-tightened", "breaking"],
    ["constraint-loosened", "safe"],
  ],
  [
    "a constraint of a reply",
    [[K, "maxLength: 200", "maxLength: 300"]],
    ["constraint-loosened", "breaking"],
    ["constraint-tightened", "safe"],
  ],
  [
    "a format",
    [["shared/headers.yaml", "format: uuid", "format: email"]],
    ["constraint-changed", "breaking"],
    ["constraint-changed", "breaking"],
  ],
  [
    "a required header",
    [["shared/headers.yaml", "required: [contract_version]", "required: [contract_version, trace_id]"]],
    ["header-required-added", "breaking"],
    ["field-made-optional", "safe"],
  ],
  [
    "a header of open headers",
    [["shared/headers.yaml", "        trace_id:\n          type: string\n          format: uuid\n", ""]],
    ["header-removed", "safe"],
    ["field-added", "safe"],
  ],
  [
    "a message name",
    [[K, "name: kitchen.cook_dish.response.failure", "name: kitchen.dish_burnt"]],
    ["message-removed", "breaking"],
    ["message-removed", "breaking"],
  ],
  [
    "a queue",
    [[K, "kitchen.orders", "kitchen.commands"]],
    ["queue-changed", "breaking"],
    ["queue-changed", "breaking"],
  ],
  [
    "a queue argument",
    [[K, "x-delivery-limit: 3", "x-delivery-limit: 4"]],
    ["binding-changed", "breaking"],
    ["binding-changed", "breaking"],
  ],
  [
    "a declared reply",
    [
      [K, '        - $ref: "#/channels/replies/messages/dishBurnt"\n', ""],
      ["waiter.yaml", '        - $ref: "#/channels/replies/messages/dishBurnt"\n', ""],
    ],
    ["reply-removed", "breaking"],
    ["reply-added", "safe"],
  ],
  [
    "an operation's action",
    [["waiter.yaml", "    action: send", "    action: receive"]],
    ["operation-action-changed", "breaking"],
    ["operation-action-changed", "breaking"],
  ],
];

let base: ContractGraph;
beforeAll(async () => void (base = await graphOf(copyFixture("basic"))), 60_000);

const summary = (findings: DiffFinding[]) => findings.map((f) => `${f.rule}:${f.verdict}`);

describe("asyncgen diff rules, both directions", () => {
  it("the same contracts give no finding", () => {
    expect(diffGraphs(base, base)).toEqual([]);
  });

  it("description and example edits, and a version bump alone, are no change", async () => {
    const edited = await graphOf(
      variant([
        [K, "Reserved-looking names stay as on the wire.", "Reworded."],
        [K, "name: soup", "name: stew"],
        [K, "version: 2.1.0", "version: 3.0.0"],
      ]),
    );
    expect(diffGraphs(base, edited)).toEqual([]);
  });

  it.each(CASES)(
    "changing %s",
    async (_name, edits, [forwardRule, forwardVerdict], [backwardRule, backwardVerdict]) => {
      const changed = await graphOf(variant(edits));
      const forward = diffGraphs(base, changed);
      const backward = diffGraphs(changed, base);
      expect(summary(forward), JSON.stringify(forward, null, 1)).toContain(
        `${forwardRule}:${forwardVerdict}`,
      );
      expect(summary(backward), JSON.stringify(backward, null, 1)).toContain(
        `${backwardRule}:${backwardVerdict}`,
      );
      for (const finding of [...forward, ...backward]) {
        expect(finding.location.line).toBeGreaterThan(0);
        if (finding.verdict === "breaking") expect(finding.affected.length).toBeGreaterThan(0);
      }
    },
  );

  it("a breaking change is allowed when the owner bumps its major version", async () => {
    const changed = await graphOf(
      variant([
        [K, "enum: [starter, main, dessert]", "enum: [starter, main]"],
        [K, "version: 2.1.0", "version: 3.0.0"],
      ]),
    );
    expect(summary(diffGraphs(base, changed))).toEqual(["enum-value-removed:allowed"]);
  });

  it("has a case for every rule", () => {
    const covered = new Set(CASES.flatMap(([, , f, b]) => [f[0], b[0]]));
    expect([...covered].sort()).toEqual(
      Object.keys(DIFF_RULES)
        .filter((r) => !["message-added", "operation-removed"].includes(r))
        .sort(),
    );
  });
});
