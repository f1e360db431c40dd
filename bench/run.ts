import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureCliStartup } from "./cli-startup.js";
import { measureCodegen } from "./codegen.js";
import { measureMessageOverhead } from "./message-overhead.js";
import { measureRoundTrips } from "./round-trip.js";
import { measurePlainSagaShape } from "./plain-saga.js";
import {
  DEPLOYMENTS,
  measureSagas,
  measureTakeover,
  type Deployment,
  type SagaRun,
} from "./saga-throughput.js";
import { parseDuration, runSoak } from "./soak.js";
import { WARM_UP_SECONDS } from "./warm-up.js";
import { measureValidation } from "./validation.js";

/**
 * `npm run bench`: what users care about, each next to a baseline measured in the same run, as one Markdown table
 * printed and written to bench/results/<date>.md. BENCH_QUICK=1 shortens every part (for a smoke run);
 * BENCH_DEPLOYMENTS=sqlite,postgres picks the saga deployments (default: all three); BENCH_ONLY=saga runs only the
 * saga section.
 */
// `npm run bench -- --soak 5m [--postgres]`: only the soak (bench/soak.ts), off by default.
const soak = process.argv.indexOf("--soak");
if (soak !== -1) {
  await runSoak(parseDuration(process.argv[soak + 1]), { postgres: process.argv.includes("--postgres") });
  process.exit(0);
}
const quick = process.env.BENCH_QUICK === "1";
const sagaOnly = process.env.BENCH_ONLY === "saga";
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const lines: string[] = [];
const say = (line = "") => {
  lines.push(line);
  console.log(line);
};

say(`# Benchmarks ${new Date().toISOString().slice(0, 10)}`);
say();
say(
  `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, RabbitMQ on loopback.`,
);
say();

if (!sagaOnly) {
  say(
    "## Code generation (cold process; median of 5 runs for the real set, 3 for 10x, 1 for 100x with BENCH_FULL=1)",
  );
  say();
  say("| contract set | messages | generate | --check, unchanged | --check, after an edit |");
  say("|---|---|---|---|---|");
  // The 100x set takes minutes per run (the AsyncAPI parser's validation grows faster than the document): BENCH_FULL=1.
  for (const row of measureCodegen(quick ? 1 : 5, process.env.BENCH_FULL === "1" ? [10, 100] : [10])) {
    say(
      `| ${row.set} | ${row.messages} | ${fmt(row.generate, 2)} s | ${fmt(row.checkUnchanged, 2)} s | ${fmt(row.checkAfterEdit, 2)} s |`,
    );
  }
  say();

  say("## CLI start-up (cold process, median of 7 runs)");
  say();
  say("| command | wall time | ratio to bare node |");
  say("|---|---|---|");
  const startup = measureCliStartup(quick ? 3 : 7);
  for (const row of startup) {
    say(`| ${row.command} | ${fmt(row.seconds * 1000)} ms | ${fmt(row.seconds / startup[0]!.seconds, 1)} |`);
  }
  say();
}

say(
  "## Saga throughput and latency (HTTP POST to `succeeded`, service processes on RabbitMQ, latency as the load driver timed it)",
);
say();
say(
  `| deployment | in flight | sagas/s | p50 | p99 | / plain shape | CPU ms per saga, per process | CPU ms per saga, all processes | cores busy (of ${os.availableParallelism()}) | load driver CPU |`,
);
say("|---|---|---|---|---|---|---|---|---|---|");
const runs: SagaRun[] = [];
const shapes = new Map<number, number>();
const deployments = (process.env.BENCH_DEPLOYMENTS?.split(",") ?? Object.keys(DEPLOYMENTS)) as Deployment[];
const perProcess = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .filter(([name]) => name !== "load driver")
    .map(([name, ms]) => `${name.replace("-service", "")} ${fmt(ms, 2)}`)
    .join(", ");
const cpuPerSaga = (cpu: Record<string, number>) => Object.values(cpu).reduce((sum, ms) => sum + ms, 0);
const allProcesses = (cpu: Record<string, number>) => fmt(cpuPerSaga(cpu), 2);
/** What every process together kept busy: CPU per saga times sagas per second, in cores. */
const coresBusy = (run: { cpuMsPerSaga: Record<string, number>; perSecond: number }) =>
  fmt((cpuPerSaga(run.cpuMsPerSaga) * run.perSecond) / 1000, 2);
const warmUp = quick ? 3 : WARM_UP_SECONDS;
for (const concurrency of quick ? [64] : [16, 64]) {
  const seconds = quick ? 4 : 10;
  const shape = await measurePlainSagaShape(seconds, concurrency, warmUp);
  shapes.set(concurrency, shape.perSecond);
  say(
    `| plain amqplib in the system's shape | ${concurrency} | ${fmt(shape.perSecond, 1)} | | | 1.00 | ${perProcess(shape.cpuMsPerSaga)} | ${allProcesses(shape.cpuMsPerSaga)} | ${coresBusy(shape)} | |`,
  );
  // Interleaved per load level, so the machine's other load (shared cores) weighs on all alike.
  for (const deployment of deployments) {
    const run = await measureSagas(deployment, concurrency, seconds, warmUp);
    runs.push(run);
    say(
      `| ${DEPLOYMENTS[deployment]} | ${concurrency} | ${fmt(run.perSecond, 1)} | ${fmt(run.p50Ms)} ms | ${fmt(run.p99Ms)} ms | ${fmt(run.perSecond / shape.perSecond, 2)} | ${perProcess(run.cpuMsPerSaga)} | ${allProcesses(run.cpuMsPerSaga)} | ${coresBusy(run)} | ${fmt(run.driverCpuPercent)} % |`,
    );
  }
}
say();
say(
  "The shape is the saga's four round trips on plain amqplib with a requester and three responder processes, as the system runs, measured just before the rows of its load level; every row, the shape's included, measures fresh processes after " +
    warmUp +
    " s of the same load, once V8 has optimised their hot code (`warm-up.ts`); the gap between ours and the shape is the toolkit's work (HTTP, validation on both ends, database transactions, the outbox). CPU per saga is each process's user + system time over the measured window divided by the sagas completed; `postgres` is the server backends serving the bench's database, `rabbitmq` the broker node. The last CPU column adds every process, the load driver (and the shape's requester) included: on this machine's cores, that sum is what one saga costs, so its ratio to the shape's bounds the throughput ratio when the cores are the limit. Cores busy is that sum times the sagas per second: near the machine's core count, the cores are the limit, and a deployment is faster only by costing less CPU per saga.",
);
say();
const rate = (deployment: Deployment, concurrency: number) =>
  runs.find((r) => r.deployment === deployment && r.concurrency === concurrency)?.perSecond ?? Number.NaN;
say("Targets at 64 in flight (ratios of this run):");
say();
say("| target | ratio | holds |");
say("|---|---|---|");
const target = (name: string, ratio: number, floor: number) =>
  say(
    `| ${name} >= ${floor} | ${fmt(ratio, 2)} | ${Number.isFinite(ratio) ? (ratio >= floor ? "yes" : "no") : "n/a"} |`,
  );
target("PostgreSQL one instance / SQLite", rate("postgres", 64) / rate("sqlite", 64), 0.8);
target("PostgreSQL two instances / one instance", rate("postgres-2", 64) / rate("postgres", 64), 1.0);
for (const deployment of deployments)
  target(
    `${deployment} / plain amqplib in the system's shape`,
    rate(deployment, 64) / (shapes.get(64) ?? Number.NaN),
    0.5,
  );
say();
say("Peak RSS per process during the throughput runs (target for the participants: <= 80 MB):");
say();
say(`| process | ${deployments.join(" | ")} |`);
say(`|---|${deployments.map(() => "---|").join("")}`);
const names = [...new Set(runs.flatMap((r) => Object.keys(r.peakRssMb)))];
for (const name of names) {
  const peaks = deployments.map((deployment) => {
    const values = runs.filter((r) => r.deployment === deployment).map((r) => r.peakRssMb[name] ?? 0);
    return values.some((v) => v > 0) ? `${fmt(Math.max(...values))} MB` : "";
  });
  say(`| ${name} | ${peaks.join(" | ")} |`);
}
say();
if (deployments.includes("postgres-2")) {
  const takeover = await measureTakeover(16, quick ? 2 : 4);
  say("## Takeover (two order services on PostgreSQL, 16 in flight; one SIGKILLed)");
  say();
  say("| sagas the killed instance had in flight | until the survivor finished them all |");
  say("|---|---|");
  say(`| ${takeover.inFlight} | ${fmt(takeover.ms)} ms |`);
  say();
  /** A saga's `awaiting` column as step, phase and attempt. */
  const waitingFor = (awaiting: string | null) => {
    if (!awaiting) return "";
    const { step, phase, attempts } = JSON.parse(awaiting) as {
      step: number;
      phase: string;
      attempts: number;
    };
    return `step ${step} (${phase}), attempt ${attempts}`;
  };
  if (takeover.unfinished.length > 0) {
    say("Not ended within the measure's 60 s, as the database has them then:");
    say();
    say("| saga | status | awaiting | its outbox rows (type: sent at, claimed by) |");
    say("|---|---|---|---|");
    for (const saga of takeover.unfinished)
      say(
        `| ${saga.id} | ${saga.status} | ${waitingFor(saga.awaiting)} | ${saga.outbox.map((row) => `${row.type}: ${row.sent_at ?? "unsent"}, ${row.claimed_by ?? "unclaimed"}`).join("; ")} |`,
      );
    say();
  }
}

if (!sagaOnly) {
  say("## Request/reply round trips (one generated client/handler pair vs plain amqplib, same settings)");
  say();
  say("| in flight | generated/s | plain amqplib/s | ratio |");
  say("|---|---|---|---|");
  for (const inFlight of [1, 16]) {
    const result = await measureRoundTrips(quick ? 1 : 3, inFlight);
    say(
      `| ${inFlight} | ${fmt(result.ours)} | ${fmt(result.ceiling)} | ${fmt(result.ours / result.ceiling, 2)} |`,
    );
  }
  say();

  say("## Validation (restaurant_service.create_ticket, ns/op, from parsed JSON)");
  say();
  say(
    "| payload | generated validate+decode | raw ajv (floor) | Zod 4 | ours / ajv | Zod / ours | JSON.parse of the body |",
  );
  say("|---|---|---|---|---|---|---|");
  for (const row of measureValidation(quick ? 50_000 : 500_000)) {
    say(
      `| ${row.payload} | ${fmt(row.generated)} | ${fmt(row.rawAjv)} | ${fmt(row.zod)} | ${fmt(row.generated / row.rawAjv, 2)} | ${fmt(row.zod / row.generated, 2)} | ${fmt(row.jsonParse)} |`,
    );
  }
  say();

  say(
    "## Tracing and metrics per message (generated request/reply pair, in-process transport, 16 in flight)",
  );
  say();
  say(
    "| mode | us per round trip (2 messages) | ratio to baseline | added us per message | ns to build one message | ratio to baseline |",
  );
  say("|---|---|---|---|---|---|");
  const overhead = await measureMessageOverhead(quick ? 2_000 : 10_000, quick ? 3 : 9);
  for (const row of overhead) {
    const baseline = overhead[0]!;
    say(
      `| ${row.mode} | ${fmt(row.microseconds, 1)} | ${fmt(row.microseconds / baseline.microseconds, 2)} | ${fmt((row.microseconds - baseline.microseconds) / 2, 1)} | ${fmt(row.buildNanoseconds)} | ${fmt(row.buildNanoseconds / baseline.buildNanoseconds, 2)} |`,
    );
  }
}

const file = path.join(import.meta.dirname, "results", `${new Date().toISOString().slice(0, 10)}.md`);
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${lines.join("\n")}\n`);
console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
