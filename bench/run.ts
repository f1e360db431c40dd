import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureCliStartup } from "./cli-startup.js";
import { measureCodegen } from "./codegen.js";
import { measureMessageOverhead } from "./message-overhead.js";
import { measureRoundTrips } from "./round-trip.js";
import { measureSagas, type SagaRun } from "./saga-throughput.js";
import { measureValidation } from "./validation.js";

/**
 * `npm run bench`: what users care about, each next to a baseline measured in the same run, as one Markdown table
 * printed and written to bench/results/<date>.md. BENCH_QUICK=1 shortens every part (for a smoke run).
 */
const quick = process.env.BENCH_QUICK === "1";
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

say("## Saga throughput and latency (HTTP POST to `succeeded`, four service processes, RabbitMQ)");
say();
say(
  "| concurrent orders | sagas/s | p50 | p99 | ceiling sagas/s (plain amqplib, 4 round trips) | ratio = ours / ceiling | plain amqplib in the system's shape | ours / shape | load driver CPU |",
);
say("|---|---|---|---|---|---|---|---|---|");
const runs: SagaRun[] = [];
for (const concurrency of [1, 16, 64]) {
  const run = await measureSagas(concurrency, quick ? 3 : concurrency === 64 ? 10 : 6);
  runs.push(run);
  say(
    `| ${concurrency} | ${fmt(run.perSecond, 1)} | ${fmt(run.p50Ms)} ms | ${fmt(run.p99Ms)} ms | ${fmt(run.ceilingPerSecond, 1)} | ${fmt(run.perSecond / run.ceilingPerSecond, 2)} | ${fmt(run.shapePerSecond, 1)} | ${fmt(run.perSecond / run.shapePerSecond, 2)} | ${fmt(run.driverCpuPercent)} % |`,
  );
}
say();
say(
  "The ceiling is one process requesting and answering over one connection. The shape is the same four round trips per saga on plain amqplib with a requester and three responder processes, as the system runs; the gap between ours and the shape is the toolkit's work (HTTP, validation on both ends, a database transaction and an outbox row per message).",
);
say();
say("Peak RSS per service during the throughput runs:");
say();
say("| service | peak RSS |");
say("|---|---|");
for (const service of Object.keys(runs[0]?.peakRssMb ?? {})) {
  say(`| ${service} | ${fmt(Math.max(...runs.map((r) => r.peakRssMb[service] ?? 0)))} MB |`);
}
say();

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

say("## Tracing and metrics per message (generated request/reply pair, in-process transport, 16 in flight)");
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

const file = path.join(import.meta.dirname, "results", `${new Date().toISOString().slice(0, 10)}.md`);
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${lines.join("\n")}\n`);
console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
