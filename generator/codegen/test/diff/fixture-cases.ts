import path from "node:path";
import { expect } from "vitest";
import { diffGraphs, type DiffFinding } from "../../src/diff/contract-diff.js";
import { loadGraphs } from "../../src/diff/load-graph.js";
import { COMPATIBILITIES, type Compatibility } from "../../src/diff/policy.js";
import type { Verdict } from "../../src/diff/rules.js";
import { FIXTURES } from "../helpers.js";

/**
 * One fixture pair per rule under test/fixtures/diff/<case>/{old,new}/, each a copy of the basic fixture (kitchen
 * receives kitchen.cook_dish and owns it and its replies; waiter sends it and receives the replies) with one change.
 * Each pair is judged old -> new and new -> old, and each of those under every compatibility policy.
 *
 * A finding is written `<rule> <orders>[ <service>(<role>),...][ @<policy>]`: the deployment orders it breaks
 * (`safe`: none; `receivers-first`: upgraded receivers refuse what old senders send; `senders-first`: old receivers
 * refuse what upgraded senders may send; `both`), the services it breaks, and the policy the contract declares when
 * it declares one (then the policy given as the default does not apply). The verdict in each policy follows from the
 * orders (VERDICTS below, the README's rule table).
 */
export interface FixtureCase {
  readonly oldToNew: readonly string[];
  readonly newToOld: readonly string[];
  /** The owner bumped its major version old -> new: breaking changes are allowed. */
  readonly bumped?: boolean;
}

type Orders = "safe" | "receivers-first" | "senders-first" | "both";

/** What each policy makes of the orders a change breaks (the README's mode columns). */
export const VERDICTS: Record<Orders, Record<Compatibility, Verdict>> = {
  safe: { FULL: "safe", BACKWARD: "safe", FORWARD: "safe", NONE: "safe" },
  "receivers-first": { FULL: "breaking", BACKWARD: "breaking", FORWARD: "allowed", NONE: "allowed" },
  "senders-first": { FULL: "breaking", BACKWARD: "allowed", FORWARD: "breaking", NONE: "allowed" },
  both: { FULL: "breaking", BACKWARD: "breaking", FORWARD: "breaking", NONE: "allowed" },
};

export const SCHEMA_CASES: Record<string, FixtureCase> = {
  "field-required-added": {
    oldToNew: ["field-required-added receivers-first waiter(sender)"],
    newToOld: ["field-made-optional senders-first kitchen(receiver)"],
  },
  "field-removed": {
    // The command's schema is closed: old senders still send the field, upgraded receivers refuse it; and the
    // other way round, old (closed) receivers refuse the field that upgraded senders send.
    oldToNew: ["field-removed receivers-first waiter(sender)"],
    newToOld: ["field-added senders-first kitchen(receiver)"],
  },
  "field-added": {
    // An optional field on a closed reply breaks its old receivers.
    oldToNew: ["field-added senders-first waiter(receiver)"],
    newToOld: ["field-removed receivers-first kitchen(sender)"],
  },
  "field-added-open": {
    // The same field is safe where the receivers' schema is open.
    oldToNew: ["field-added safe"],
    newToOld: ["field-removed safe"],
  },
  "field-made-optional": {
    // Upgraded senders may leave the field out; old receivers still require it.
    oldToNew: ["field-made-optional senders-first waiter(receiver)"],
    newToOld: ["field-required-added receivers-first kitchen(sender)"],
  },
  "default-changed": {
    // Upgraded receivers read an absent field by the new default: what old senders meant changes.
    oldToNew: ["default-changed receivers-first waiter(sender)"],
    newToOld: ["default-changed receivers-first waiter(sender)"],
  },
  "type-changed": {
    oldToNew: ["type-changed both kitchen(sender),waiter(receiver)"],
    newToOld: ["type-changed both kitchen(sender),waiter(receiver)"],
  },
  "type-changed-widened": {
    // boolean -> boolean|null: upgraded senders may send null, which old receivers refuse.
    oldToNew: ["type-changed senders-first kitchen(receiver)"],
    newToOld: ["type-changed receivers-first waiter(sender)"],
  },
  "type-changed-number": {
    // integer -> number: upgraded senders may send 1.5, which old receivers refuse.
    oldToNew: ["type-changed senders-first waiter(receiver)"],
    newToOld: ["type-changed receivers-first kitchen(sender)"],
  },
  "enum-value-removed": {
    oldToNew: ["enum-value-removed receivers-first waiter(sender)"],
    newToOld: ["enum-value-added senders-first kitchen(receiver)"],
  },
  "enum-value-added": {
    oldToNew: ["enum-value-added senders-first kitchen(receiver)"],
    newToOld: ["enum-value-removed receivers-first waiter(sender)"],
  },
  "additional-properties-closed": {
    oldToNew: ["additional-properties-closed receivers-first waiter(sender)"],
    newToOld: ["additional-properties-opened senders-first kitchen(receiver)"],
  },
  "additional-properties-opened": {
    oldToNew: ["additional-properties-opened senders-first kitchen(receiver)"],
    newToOld: ["additional-properties-closed receivers-first waiter(sender)"],
  },
  "constraint-tightened": {
    oldToNew: ["constraint-tightened receivers-first kitchen(sender)"],
    newToOld: ["constraint-loosened senders-first waiter(receiver)"],
  },
  "constraint-loosened": {
    oldToNew: ["constraint-loosened senders-first waiter(receiver)"],
    newToOld: ["constraint-tightened receivers-first kitchen(sender)"],
  },
  "constraint-changed": {
    oldToNew: ["constraint-changed both kitchen(receiver),waiter(sender)"],
    newToOld: ["constraint-changed both kitchen(receiver),waiter(sender)"],
  },
  "schema-changed": {
    oldToNew: ["schema-changed both kitchen(receiver),waiter(sender)"],
    newToOld: ["schema-changed both kitchen(receiver),waiter(sender)"],
  },
  "branch-added": {
    // anyOf gains a branch: upgraded senders may send null, which old receivers refuse.
    oldToNew: ["branch-added senders-first waiter(receiver)"],
    newToOld: ["branch-removed receivers-first kitchen(sender)"],
  },
  "branch-removed": {
    // oneOf loses a branch: what matched only it is refused, what matched it and another is now accepted.
    oldToNew: ["branch-removed both kitchen(sender),waiter(receiver)"],
    newToOld: ["branch-added both kitchen(sender),waiter(receiver)"],
  },
  "branch-added-disjoint": {
    // oneOf [integer, null] gains string: no value matches two branches, so it only widens, as an anyOf would.
    oldToNew: ["branch-added senders-first waiter(receiver)"],
    newToOld: ["branch-removed receivers-first kitchen(sender)"],
  },
  "branches-reordered": {
    // anyOf and oneOf branches are sets: the same branches in another order are the same schema.
    oldToNew: [],
    newToOld: [],
  },
  "branch-inside-changed": {
    // A branch naming the same named schema is compared inside it.
    oldToNew: ["field-added senders-first kitchen(receiver)"],
    newToOld: ["field-removed receivers-first waiter(sender)"],
  },
  "all-of-rewrite": {
    // {type: string, maxLength: 200} as allOf: [{type: string}, {maxLength: 200}]: the same schema.
    oldToNew: [],
    newToOld: [],
  },
  "all-of-changed": {
    // An allOf member that cannot be merged (it has `not`): one finding, nothing below it.
    oldToNew: ["schema-changed both kitchen(sender),waiter(receiver)"],
    newToOld: ["schema-changed both kitchen(sender),waiter(receiver)"],
  },
  "header-removed": {
    // A required header no longer sent breaks old receivers; reinstating it as required breaks old senders.
    oldToNew: ["header-removed senders-first kitchen(receiver)"],
    newToOld: ["header-required-added receivers-first waiter(sender)"],
  },
  "header-removed-optional": {
    oldToNew: ["header-removed safe"],
    newToOld: ["field-added safe"],
  },
  "header-required-added": {
    oldToNew: ["header-required-added receivers-first waiter(sender)"],
    newToOld: ["field-made-optional senders-first kitchen(receiver)"],
  },
};

export const CONTRACT_CASES: Record<string, FixtureCase> = {
  "message-removed": {
    // A rename: the old name is gone, the new one is new.
    oldToNew: ["message-added safe", "message-removed both kitchen(sender),waiter(receiver)"],
    newToOld: ["message-added safe", "message-removed both kitchen(sender),waiter(receiver)"],
  },
  "message-added": {
    oldToNew: ["message-added safe"],
    // Nobody sent it, so removing it (and the operation receiving it) breaks no flow.
    newToOld: ["message-removed safe", "operation-removed safe"],
  },
  "queue-changed": {
    oldToNew: ["queue-changed both kitchen(receiver),waiter(sender)"],
    newToOld: ["queue-changed both kitchen(receiver),waiter(sender)"],
  },
  "channel-address-changed": {
    // An exchange channel: the routing key is the address.
    oldToNew: ["channel-address-changed both kitchen(receiver),waiter(sender)"],
    newToOld: ["channel-address-changed both kitchen(receiver),waiter(sender)"],
  },
  "channel-address-changed-queue": {
    // A queue channel: routed by the queue's name, which did not change.
    oldToNew: ["channel-address-changed safe"],
    newToOld: ["channel-address-changed safe"],
  },
  "binding-changed": {
    oldToNew: ["binding-changed both kitchen(receiver),waiter(sender)"],
    newToOld: ["binding-changed both kitchen(receiver),waiter(sender)"],
  },
  "binding-changed-publisher": {
    // kitchen publishes its replies to waiter.replies and does not declare it: only waiter, its consumer, does.
    // (lint's queue-binding-match reports the two contracts disagreeing.)
    oldToNew: [],
    newToOld: [],
  },
  "operation-removed": {
    // kitchen stops receiving what waiter still sends: waiter must stop sending first.
    oldToNew: ["operation-removed receivers-first waiter(sender)"],
    newToOld: [],
  },
  "operation-action-changed": {
    oldToNew: ["operation-action-changed both kitchen(receiver)"],
    newToOld: ["operation-action-changed both kitchen(receiver)"],
  },
  "reply-removed": {
    // The replier no longer declares the failure reply: the requester waits for it in vain.
    oldToNew: ["reply-removed senders-first waiter(receiver)"],
    newToOld: ["reply-added safe"],
  },
  "reply-added": {
    oldToNew: ["reply-added safe"],
    // The requester no longer expects a reply the replier still sends.
    newToOld: ["reply-removed receivers-first kitchen(sender)"],
  },
  "major-version-bump": {
    // kitchen, which owns kitchen.cook_dish, bumped 2.1.0 -> 3.0.0.
    oldToNew: ["enum-value-removed receivers-first waiter(sender)"],
    newToOld: ["enum-value-added senders-first kitchen(receiver)"],
    bumped: true,
  },
  "no-change": {
    // Descriptions, examples, a summary, a schema's externalDocs and a minor version bump.
    oldToNew: [],
    newToOld: [],
  },
  "policy-contract": {
    // kitchen declares info.x-compatibility: BACKWARD (its receivers deploy first) on both sides.
    oldToNew: ["enum-value-added senders-first kitchen(receiver) @BACKWARD"],
    newToOld: ["enum-value-removed receivers-first waiter(sender) @BACKWARD"],
  },
  "policy-message": {
    // Only the failure reply declares x-compatibility: FORWARD; the command follows the policy given.
    oldToNew: [
      "constraint-loosened senders-first waiter(receiver) @FORWARD",
      "enum-value-added senders-first kitchen(receiver)",
    ],
    newToOld: [
      "constraint-tightened receivers-first kitchen(sender) @FORWARD",
      "enum-value-removed receivers-first waiter(sender)",
    ],
  },
};

export const DIFF_FIXTURES = path.join(FIXTURES, "diff");

/** Diffs one side of a pair against the other. Each side is its own root, so locations read `kitchen.yaml:…`. */
export async function diffFixture(
  name: string,
  from: "old" | "new",
  to: "old" | "new",
  compatibility?: Compatibility,
): Promise<DiffFinding[]> {
  const side = (which: string) => ({ root: path.join(DIFF_FIXTURES, name, which), dir: "." });
  const graphs = await loadGraphs(side(from), side(to), false);
  return graphs.identical ? [] : diffGraphs(graphs.before, graphs.after, { compatibility });
}

/** `<rule> <orders> <services broken>`, sorted. */
export function summary(findings: readonly DiffFinding[]): string[] {
  return findings
    .map((f) =>
      [
        f.rule,
        f.breaks.length === 0 ? "safe" : f.breaks.length === 2 ? "both" : f.breaks[0]!,
        f.affected.map((a) => `${a.service}(${a.role})`).join(","),
      ]
        .filter(Boolean)
        .join(" "),
    )
    .sort();
}

/**
 * Judges a pair old -> new and new -> old under every policy: the orders each finding breaks, its verdict in that
 * policy, who must deploy first, and where and why.
 */
export async function expectJudgedInEveryMode(name: string, fixtureCase: FixtureCase): Promise<void> {
  for (const [from, to, expected] of [
    ["old", "new", fixtureCase.oldToNew],
    ["new", "old", fixtureCase.newToOld],
  ] as const) {
    const wanted = [...expected].sort((a, b) => (withoutPolicy(a) < withoutPolicy(b) ? -1 : 1));
    for (const mode of COMPATIBILITIES) {
      const findings = await diffFixture(name, from, to, mode);
      const shown = JSON.stringify(findings, null, 1);
      expect(summary(findings), `${from} -> ${to}, ${mode}: ${shown}`).toEqual(wanted.map(withoutPolicy));
      const byLine = new Map(findings.map((f) => [summary([f])[0]!, f]));
      for (const line of wanted) {
        const finding = byLine.get(withoutPolicy(line))!;
        const orders = line.split(" ")[1] as Orders;
        const policy = (line.match(/ @([A-Z]+)$/)?.[1] as Compatibility | undefined) ?? mode;
        const bumped = fixtureCase.bumped === true && from === "old";
        const verdict =
          bumped && VERDICTS[orders][policy] === "breaking" ? "allowed" : VERDICTS[orders][policy];
        expect(finding, `${from} -> ${to}, ${mode}: ${line}`).toMatchObject({
          compatibility: policy,
          verdict,
        });
        expect(finding.deployFirst?.role).toBe(
          orders === "receivers-first" ? "sender" : orders === "senders-first" ? "receiver" : undefined,
        );
        expect(finding.location.file).toMatch(/^(kitchen|waiter|shared\/headers)\.yaml$/);
        expect(finding.location.line).toBeGreaterThan(1);
        expect(finding.reason.length).toBeGreaterThan(0);
      }
    }
  }
}

function withoutPolicy(line: string): string {
  return line.replace(/ @[A-Z]+$/, "");
}
