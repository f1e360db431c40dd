import type { FaultCounter } from "./harness.js";
import type { Violation } from "./invariants.js";
import { ORDER_KINDS, type AcceptedOrder, type OrderDriver } from "./orders.js";

export interface ScenarioResult {
  readonly phase: string;
  readonly name: string;
  readonly seconds: number;
  readonly accepted: number;
  readonly violations: readonly Violation[];
}

export const describeViolation = (v: Violation): string =>
  `  [${v.invariant}]${v.order === undefined ? "" : ` order ${v.order}:`} ${v.seen}`;

export function printScenario(result: ScenarioResult): void {
  const verdict = result.violations.length === 0 ? "ok" : `${result.violations.length} VIOLATION(S)`;
  console.log(
    `${result.phase} / ${result.name}: ${result.accepted} orders accepted, ${result.seconds.toFixed(1)} s, ${verdict}`,
  );
  for (const v of result.violations.slice(0, 50)) console.log(describeViolation(v));
  if (result.violations.length > 50) console.log(`  ... and ${result.violations.length - 50} more`);
}

export interface Totals {
  readonly drivers: readonly OrderDriver[];
  readonly faults: FaultCounter;
  readonly results: readonly ScenarioResult[];
  readonly duplicatesAbsorbed: number;
  readonly resentCommands: number;
  readonly sagasGivenUp: number;
  readonly errorsLogged: readonly Record<string, number>[];
  readonly outboxes: { readonly checked: readonly string[]; readonly withoutOutbox: readonly string[] };
  readonly seconds: number;
}

/** The run in a few lines: what was driven, what was injected, what was lost and absorbed. */
export function printSummary(totals: Totals): void {
  const accepted: AcceptedOrder[] = totals.drivers.flatMap((d) => [...d.accepted.values()]);
  const notAccepted = new Map<string, number>();
  for (const d of totals.drivers)
    for (const [k, n] of d.notAccepted) notAccepted.set(k, (notAccepted.get(k) ?? 0) + n);
  const byKind = Object.keys(ORDER_KINDS).map(
    (kind) => `${kind} ${accepted.filter((o) => o.kind === kind).length}`,
  );
  const violations = totals.results.flatMap((r) => r.violations);
  const lost = violations.filter((v) => v.invariant.startsWith("order lost")).length;
  const refused = [...notAccepted].map(([answer, n]) => `${answer} ${n}`).join(", ") || "none";
  console.log("\n=== fault suite summary ===");
  console.log(
    `orders driven: ${accepted.length + sum(notAccepted.values())} (accepted ${accepted.length}: ${byKind.join(", ")})`,
  );
  console.log(`not accepted while a fault was on (not owed): ${refused}`);
  console.log("faults injected:");
  for (const [kind, n] of [...totals.faults.byKind].sort()) console.log(`  ${kind}: ${n}`);
  console.log(`orders lost: ${lost}`);
  console.log(
    `duplicates absorbed: ${totals.duplicatesAbsorbed} (deliveries acknowledged without acting again: redeliveries, ` +
      "duplicate publishes, replies to resent commands)",
  );
  console.log(`commands resent after a step deadline: ${totals.resentCommands}`);
  console.log(`sagas rejected because a step was given up (DeadlineExceeded): ${totals.sagasGivenUp}`);
  const errors = new Map<string, number>();
  for (const phase of totals.errorsLogged)
    for (const [s, n] of Object.entries(phase)) errors.set(s, (errors.get(s) ?? 0) + n);
  console.log(`error lines logged (not violations): ${[...errors].map(([s, n]) => `${s} ${n}`).join(", ")}`);
  const { checked, withoutOutbox } = totals.outboxes;
  console.log(`outboxes checked drained: ${unique(checked)}`);
  if (withoutOutbox.length > 0)
    console.log(`no outbox table (outbox check skipped): ${unique(withoutOutbox)}`);
  console.log(`invariant violations: ${violations.length}`);
  console.log(`time: ${totals.seconds.toFixed(1)} s`);
  console.log(violations.length === 0 ? "RESULT: PASS" : "RESULT: FAIL");
}

const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);

const unique = (names: readonly string[]): string => [...new Set(names)].join(", ") || "none";
