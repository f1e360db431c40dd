import { judge, type Change, type DiffFinding } from "./findings.js";
import type { ContractGraph } from "./graph.js";
import { messageChanges } from "./message-diff.js";
import { declaredPolicy, type Compatibility } from "./policy.js";
import { topologyChanges } from "./topology-diff.js";

export type { DiffFinding } from "./findings.js";

const major = (version: string | undefined): number => {
  const value = Number.parseInt((version ?? "").split(".")[0] ?? "", 10);
  return Number.isNaN(value) ? 0 : value;
};

export interface DiffOptions {
  /** The policy of contracts and messages that declare none (`x-compatibility`); FULL by default. */
  readonly compatibility?: Compatibility | undefined;
}

/**
 * Compares two resolved contract graphs: every change once (however many contracts reference what changed), with
 * its rule, its verdict under the compatibility policy that applies to it, and the services it breaks.
 */
export function diffGraphs(
  before: ContractGraph,
  after: ContractGraph,
  options: DiffOptions = {},
): DiffFinding[] {
  const bumpedMajor = (service: string) => {
    const now = after.contracts.get(service)?.version;
    return now !== undefined && major(now) > major(before.contracts.get(service)?.version);
  };
  // The new side's declarations rule (all checked, so a bad value is reported even where nothing changed); the old
  // side's only for what no longer exists.
  const now = declaredPolicies(after);
  const policyOf = (change: Change): Compatibility =>
    (after.messages.has(change.subject)
      ? now.messages.get(change.subject)
      : declaredPolicy(before.files, before.messages.get(change.subject)?.anchor)) ??
    (after.contracts.has(change.owner)
      ? now.contracts.get(change.owner)
      : contractPolicy(before, change.owner)) ??
    options.compatibility ??
    "FULL";
  return judge([...messageChanges(before, after), ...topologyChanges(before, after)], bumpedMajor, policyOf);
}

/** `x-compatibility` on each message (where it is defined) and on each contract's `info`. */
function declaredPolicies(graph: ContractGraph) {
  return {
    messages: new Map(
      [...graph.messages].map(([name, node]) => [name, declaredPolicy(graph.files, node.anchor)]),
    ),
    contracts: new Map(
      [...graph.contracts.keys()].map((service) => [service, contractPolicy(graph, service)]),
    ),
  };
}

function contractPolicy(graph: ContractGraph, service: string): Compatibility | undefined {
  const contract = graph.contracts.get(service);
  return contract && declaredPolicy(graph.files, { file: contract.file, path: ["info"] });
}
