import path from "node:path";
import { expect } from "vitest";
import { diffGraphs, type DiffFinding } from "../../src/diff/contract-diff.js";
import { loadGraphs } from "../../src/diff/load-graph.js";
import { FIXTURES } from "../helpers.js";

/**
 * One fixture pair per rule under test/fixtures/diff/<case>/{old,new}/, each a copy of the basic fixture (kitchen
 * receives kitchen.cook_dish and owns it and its replies; waiter sends it and receives the replies) with one change.
 * Each pair is judged both ways: old -> new, and new -> old. A finding is summarised as
 * `<rule> <verdict>[ <service>(<role>),...]`, the services being those it breaks.
 */
export interface FixtureCase {
  readonly forward: readonly string[];
  readonly backward: readonly string[];
}

export const SCHEMA_CASES: Record<string, FixtureCase> = {
  "field-required-added": {
    forward: ["field-required-added breaking waiter(sender)"],
    backward: ["field-made-optional safe"],
  },
  "field-removed": {
    // The command's schema is closed: old senders still send the field, upgraded receivers refuse it; and the
    // other way round, old (closed) receivers refuse the field that upgraded senders send.
    forward: ["field-removed breaking waiter(sender)"],
    backward: ["field-added breaking kitchen(receiver)"],
  },
  "field-added": {
    // An optional field on a closed reply breaks its old receivers.
    forward: ["field-added breaking waiter(receiver)"],
    backward: ["field-removed breaking kitchen(sender)"],
  },
  "field-added-open": {
    // The same field is safe where the receivers' schema is open.
    forward: ["field-added safe"],
    backward: ["field-removed safe"],
  },
  "field-made-optional": {
    forward: ["field-made-optional safe"],
    backward: ["field-required-added breaking kitchen(sender)"],
  },
  "type-changed": {
    forward: ["type-changed breaking kitchen(sender),waiter(receiver)"],
    backward: ["type-changed breaking kitchen(sender),waiter(receiver)"],
  },
  "type-changed-widened": {
    forward: ["type-changed safe"],
    backward: ["type-changed breaking waiter(sender)"],
  },
  "enum-value-removed": {
    forward: ["enum-value-removed breaking waiter(sender)"],
    backward: ["enum-value-added safe"],
  },
  "enum-value-added": {
    forward: ["enum-value-added safe"],
    backward: ["enum-value-removed breaking waiter(sender)"],
  },
  "additional-properties-closed": {
    forward: ["additional-properties-closed breaking waiter(sender)"],
    backward: ["additional-properties-opened safe"],
  },
  "additional-properties-opened": {
    forward: ["additional-properties-opened safe"],
    backward: ["additional-properties-closed breaking waiter(sender)"],
  },
  "constraint-tightened": {
    forward: ["constraint-tightened breaking kitchen(sender)"],
    backward: ["constraint-loosened safe"],
  },
  "constraint-loosened": {
    forward: ["constraint-loosened safe"],
    backward: ["constraint-tightened breaking kitchen(sender)"],
  },
  "constraint-changed": {
    forward: ["constraint-changed breaking kitchen(receiver),waiter(sender)"],
    backward: ["constraint-changed breaking kitchen(receiver),waiter(sender)"],
  },
  "schema-changed": {
    forward: ["schema-changed breaking kitchen(receiver),waiter(sender)"],
    backward: ["schema-changed breaking kitchen(receiver),waiter(sender)"],
  },
  "header-removed": {
    // A required header no longer sent breaks old receivers; reinstating it as required breaks old senders.
    forward: ["header-removed breaking kitchen(receiver)"],
    backward: ["header-required-added breaking waiter(sender)"],
  },
  "header-removed-optional": {
    forward: ["header-removed safe"],
    backward: ["field-added safe"],
  },
  "header-required-added": {
    forward: ["header-required-added breaking waiter(sender)"],
    backward: ["field-made-optional safe"],
  },
};

export const CONTRACT_CASES: Record<string, FixtureCase> = {
  "message-removed": {
    // A rename: the old name is gone, the new one is new.
    forward: ["message-added safe", "message-removed breaking kitchen(sender),waiter(receiver)"],
    backward: ["message-added safe", "message-removed breaking kitchen(sender),waiter(receiver)"],
  },
  "message-added": {
    forward: ["message-added safe"],
    // Nobody sent it, so removing it (and the operation receiving it) breaks no flow.
    backward: ["message-removed safe", "operation-removed safe"],
  },
  "queue-changed": {
    forward: ["queue-changed breaking kitchen(receiver),waiter(sender)"],
    backward: ["queue-changed breaking kitchen(receiver),waiter(sender)"],
  },
  "channel-address-changed": {
    // An exchange channel: the routing key is the address.
    forward: ["channel-address-changed breaking kitchen(receiver),waiter(sender)"],
    backward: ["channel-address-changed breaking kitchen(receiver),waiter(sender)"],
  },
  "channel-address-changed-queue": {
    // A queue channel: routed by the queue's name, which did not change.
    forward: ["channel-address-changed safe"],
    backward: ["channel-address-changed safe"],
  },
  "binding-changed": {
    forward: ["binding-changed breaking kitchen(receiver),waiter(sender)"],
    backward: ["binding-changed breaking kitchen(receiver),waiter(sender)"],
  },
  "operation-removed": {
    forward: ["operation-removed breaking waiter(sender)"],
    backward: [],
  },
  "operation-action-changed": {
    forward: ["operation-action-changed breaking kitchen(receiver)"],
    backward: ["operation-action-changed breaking kitchen(receiver)"],
  },
  "reply-removed": {
    // The replier no longer declares the failure reply: the requester waits for it in vain.
    forward: ["reply-removed breaking waiter(receiver)"],
    backward: ["reply-added safe"],
  },
  "reply-added": {
    forward: ["reply-added safe"],
    // The requester no longer expects a reply the replier still sends.
    backward: ["reply-removed breaking kitchen(sender)"],
  },
  "major-version-bump": {
    // kitchen, which owns kitchen.cook_dish, bumped 2.1.0 -> 3.0.0.
    forward: ["enum-value-removed allowed waiter(sender)"],
    backward: ["enum-value-added safe"],
  },
  "no-change": {
    // Descriptions, examples, a summary and a minor version bump.
    forward: [],
    backward: [],
  },
};

export const DIFF_FIXTURES = path.join(FIXTURES, "diff");

/** Diffs one side of a pair against the other. Each side is its own root, so locations read `kitchen.yaml:…`. */
export async function diffFixture(
  name: string,
  from: "old" | "new",
  to: "old" | "new",
): Promise<DiffFinding[]> {
  const side = (which: string) => ({ root: path.join(DIFF_FIXTURES, name, which), dir: "." });
  const graphs = await loadGraphs(side(from), side(to), false);
  return graphs.identical ? [] : diffGraphs(graphs.before, graphs.after);
}

export function summary(findings: readonly DiffFinding[]): string[] {
  return findings
    .map((f) =>
      [f.rule, f.verdict, f.affected.map((a) => `${a.service}(${a.role})`).join(",")]
        .filter(Boolean)
        .join(" "),
    )
    .sort();
}

/** Judges a pair old -> new and new -> old against its case; every finding says where and why. */
export async function expectJudgedBothWays(name: string, { forward, backward }: FixtureCase): Promise<void> {
  const there = await diffFixture(name, "old", "new");
  const back = await diffFixture(name, "new", "old");
  expect(summary(there), JSON.stringify(there, null, 1)).toEqual([...forward].sort());
  expect(summary(back), JSON.stringify(back, null, 1)).toEqual([...backward].sort());
  for (const finding of [...there, ...back]) {
    expect(finding.location.file).toMatch(/^(kitchen|waiter|shared\/headers)\.yaml$/);
    expect(finding.location.line).toBeGreaterThan(1);
    expect(finding.reason.length).toBeGreaterThan(0);
  }
}
