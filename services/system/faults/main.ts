import { ensureBrokerRunning } from "./broker.js";
import { settleAndCheck } from "./check.js";
import { FaultCounter, Harness, type SystemShape } from "./harness.js";
import { checkOutboxes, type Violation } from "./invariants.js";
import { printScenario, printSummary, type ScenarioResult } from "./report.js";
import { badMessages } from "./scenarios/bad-messages.js";
import { brokerRestarts } from "./scenarios/broker-restart.js";
import { connectionCloses } from "./scenarios/connection-close.js";
import { duplicateDelivery } from "./scenarios/duplicate-delivery.js";
import { killInstances } from "./scenarios/kill-instances.js";
import { killServices } from "./scenarios/kill-services.js";
import { participantOutages } from "./scenarios/participant-outage.js";
import { participantStalls } from "./scenarios/participant-stall.js";
import type { Scenario } from "./scenarios/scenario.js";

/**
 * `npm run test:faults`: drives orders through the HTTP API of the four service processes while injecting faults,
 * checks the saga invariants after each scenario, prints a summary and exits 1 on any violation.
 */

/** Short, so a stopped participant outlasts it quickly; the saga gives up only after ~15 deadlines. */
const STEP_DEADLINE_MS = 2000;
const ENV = {
  STEP_DEADLINE_MS: String(STEP_DEADLINE_MS),
  // Transient approve failures are retried; at 0.1 five in a row (the delivery limit) are ~1e-5 per approval.
  APPROVE_TICKET_FAILURE_RATE: "0.1",
  LOG_LEVEL: "info",
};

interface Phase {
  readonly label: string;
  readonly env: Record<string, string>;
  /** Default: every service once, on SQLite (an inherited DATABASE_URL never moves it to PostgreSQL). */
  readonly shape?: SystemShape;
  readonly scenarios: Scenario[];
}

/** Each phase runs on its own system and vhost. */
const PHASES: Phase[] = [
  {
    label: "faults",
    env: ENV,
    scenarios: [
      killServices(12),
      brokerRestarts(3, 1500),
      connectionCloses(8),
      badMessages(3),
      participantStalls(STEP_DEADLINE_MS),
    ],
  },
  {
    label: "duplicates",
    env: { ...ENV, CHAOS_DUPLICATE_DELIVERY: "1" },
    scenarios: [duplicateDelivery(80), killServices(4), connectionCloses(3)],
  },
  {
    // The give-up comes after ~15 deadlines: a shorter deadline keeps the outages short.
    label: "past-give-up",
    env: { ...ENV, STEP_DEADLINE_MS: "500" },
    scenarios: [participantOutages(500)],
  },
  {
    // Two instances of every service on one PostgreSQL database (a private one), each participant's pair on one
    // queue: a kill leaves the twin working, and the killed one's claimed outbox rows are taken over by lease.
    label: "postgres-two-instances",
    env: { ...ENV, OUTBOX_LEASE_MS: "1500" },
    shape: { postgres: true, instances: 2 },
    scenarios: [killInstances(8)],
  },
];

/** `--phase <label>` (repeatable) runs only the phases named. */
function selectPhases(args: readonly string[]): Phase[] {
  const named = args.flatMap((arg, i) => (args[i - 1] === "--phase" ? [arg] : []));
  return named.length === 0 ? PHASES : PHASES.filter((p) => named.includes(p.label));
}

/** Runs one scenario, then lets the system settle and checks every invariant, whatever the scenario did. */
async function runScenario(h: Harness, phase: Phase, scenario: Scenario): Promise<ScenarioResult> {
  const started = Date.now();
  const before = h.driver.accepted.size;
  const violations: Violation[] = [];
  const failure = (invariant: string, error: unknown): Violation => ({
    invariant,
    seen: (error as Error).stack ?? String(error),
  });
  try {
    await scenario.run(h);
  } catch (error) {
    violations.push(failure("the scenario runs", error));
  }
  try {
    violations.push(...(await settleAndCheck(h)));
  } catch (error) {
    violations.push(failure("the checks run", error));
  }
  const result: ScenarioResult = {
    phase: phase.label,
    name: scenario.name,
    seconds: (Date.now() - started) / 1000,
    accepted: h.driver.accepted.size - before,
    violations,
  };
  printScenario(result);
  return result;
}

/** One phase on its own system and vhost; its databases are kept (and named) when something failed. */
async function runPhase(phase: Phase, faults: FaultCounter) {
  const h = await Harness.start(phase.label, phase.env, faults, phase.shape);
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of phase.scenarios) results.push(await runScenario(h, phase, scenario));
    return {
      driver: h.driver,
      results,
      outboxes: await checkOutboxes(h.databases),
      duplicatesAbsorbed: h.duplicatesAbsorbed(),
      resentCommands: await h.resentCommands(),
      sagasGivenUp: await h.sagasGivenUp(),
      errorsLogged: h.errorsLogged(),
    };
  } finally {
    const failed = results.length < phase.scenarios.length || results.some((r) => r.violations.length > 0);
    if (failed) console.log(`${phase.label}: databases and logs kept in ${h.system.dataDir}`);
    await h.stop({ keepData: failed });
  }
}

async function main(): Promise<number> {
  const phases = selectPhases(process.argv.slice(2));
  const started = Date.now();
  const faults = new FaultCounter();
  const outcomes = [];
  for (const phase of phases) outcomes.push(await runPhase(phase, faults));
  const results = outcomes.flatMap((o) => o.results);
  printSummary({
    drivers: outcomes.map((o) => o.driver),
    faults,
    results,
    duplicatesAbsorbed: outcomes.reduce((sum, o) => sum + o.duplicatesAbsorbed, 0),
    resentCommands: outcomes.reduce((sum, o) => sum + o.resentCommands, 0),
    sagasGivenUp: outcomes.reduce((sum, o) => sum + o.sagasGivenUp, 0),
    errorsLogged: outcomes.map((o) => o.errorsLogged),
    outboxes: {
      checked: outcomes.flatMap((o) => o.outboxes.checked),
      withoutOutbox: outcomes.flatMap((o) => o.outboxes.withoutOutbox),
    },
    seconds: (Date.now() - started) / 1000,
  });
  return results.some((r) => r.violations.length > 0) ? 1 : 0;
}

try {
  process.exitCode = await main();
} finally {
  ensureBrokerRunning();
}
