import { judge, type DiffFinding } from "./findings.js";
import type { ContractGraph } from "./graph.js";
import { messageChanges } from "./message-diff.js";
import { topologyChanges } from "./topology-diff.js";

export type { DiffFinding } from "./findings.js";

const major = (version: string | undefined): number => {
  const value = Number.parseInt((version ?? "").split(".")[0] ?? "", 10);
  return Number.isNaN(value) ? 0 : value;
};

/**
 * Compares two resolved contract graphs: every change once (however many contracts reference what changed), with
 * its rule, its verdict and the services it breaks.
 */
export function diffGraphs(before: ContractGraph, after: ContractGraph): DiffFinding[] {
  const bumpedMajor = (service: string) => {
    const now = after.contracts.get(service)?.version;
    return now !== undefined && major(now) > major(before.contracts.get(service)?.version);
  };
  return judge([...messageChanges(before, after), ...topologyChanges(before, after)], bumpedMajor);
}
