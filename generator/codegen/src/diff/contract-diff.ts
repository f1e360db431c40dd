import { judge, type Change, type DiffFinding } from "./findings.js";
import type { ContractGraph } from "./graph.js";
import { messageChanges } from "./message-diff.js";
import type { Compatibility } from "./policy.js";
import { topologyChanges } from "./topology-diff.js";

export type { DiffFinding } from "./findings.js";

const major = (version: string | undefined): number => {
  const value = Number.parseInt((version ?? "").split(".")[0] ?? "", 10);
  return Number.isNaN(value) ? 0 : value;
};

/**
 * Compares two resolved contract graphs: every change once (however many contracts reference what changed), with
 * its rule, its verdict under the compatibility policy that applies to it, and the services it breaks.
 */
export interface DiffOptions {
  /** The policy of contracts and messages that declare none (`x-compatibility`); FULL by default. */
  readonly compatibility?: Compatibility | undefined;
}

export function diffGraphs(
  before: ContractGraph,
  after: ContractGraph,
  options: DiffOptions = {},
): DiffFinding[] {
  const bumpedMajor = (service: string) => {
    const now = after.contracts.get(service)?.version;
    return now !== undefined && major(now) > major(before.contracts.get(service)?.version);
  };
  // The new side's declarations rule; the old side's only for what no longer exists.
  const policyOf = (change: Change): Compatibility =>
    (after.messages.get(change.subject) ?? before.messages.get(change.subject))?.compatibility ??
    (after.contracts.get(change.owner) ?? before.contracts.get(change.owner))?.compatibility ??
    options.compatibility ??
    "FULL";
  return judge([...messageChanges(before, after), ...topologyChanges(before, after)], bumpedMajor, policyOf);
}
