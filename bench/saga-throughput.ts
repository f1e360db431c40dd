import { readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { startSystem } from "@saga/order-service/testing";
import { OrderDriver } from "./order-driver.js";
import { measurePlainSagaShape } from "./plain-saga.js";
import { measurePlainRoundTrips } from "./round-trip.js";
import { SagaCompletions } from "./saga-events.js";

/** Each saga's happy path is four request/reply round trips (verify, create ticket, authorize, approve). */
export const ROUND_TRIPS_PER_SAGA = 4;

export interface SagaRun {
  readonly concurrency: number;
  readonly sagas: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ceilingPerSecond: number;
  /** The same four round trips per saga on plain amqplib in the system's shape: a requester and three responders. */
  readonly shapePerSecond: number;
  readonly peakRssMb: Record<string, number>;
  /** CPU the load driver itself used, in % of one core: it shares the machine with the system it measures. */
  readonly driverCpuPercent: number;
}

/**
 * Sagas completed per second end to end (HTTP POST to `succeeded`), the four services as separate processes on
 * RabbitMQ, `concurrency` orders in flight; next to the plain amqplib ceiling with the same number of round trips.
 */
export async function measureSagas(concurrency: number, seconds: number): Promise<SagaRun> {
  const vhost = createTestVhost(`bench-saga-${concurrency}`);
  const system = await startSystem(
    vhost.url,
    { APPROVE_TICKET_FAILURE_RATE: "0", LOG_LEVEL: "warn" },
    process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [],
  );
  const peakRssMb: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const [name, child] of Object.entries(system.processes)) {
      const rss = rssMb(child.pid);
      if (rss > (peakRssMb[name] ?? 0)) peakRssMb[name] = rss;
    }
  }, 200);
  try {
    const until = Date.now() + seconds * 1000;
    let placed = 0;
    const completions = await SagaCompletions.connect(system.url);
    const driver = new OrderDriver(system.url, concurrency);
    const waitDone = (id: number) => completions.done(id);
    const started = Date.now();
    const driverCpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const saga_id = await driver.place({
            consumer_id: 70,
            card_id: 3,
            price: 20,
            items: [{ name: "Dish 1", quantity: 2 }],
          });
          await waitDone(saga_id);
          placed++;
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const { user, system: kernel } = process.cpuUsage(driverCpu);
    completions.close();
    driver.close();
    const db = new Database(path.join(system.dataDir, "order-service.sqlite"), { readonly: true });
    const latencies = (
      db
        .prepare(
          `SELECT (julianday(MAX(h.at)) - julianday(MIN(h.at))) * 86400000.0 AS ms
           FROM saga_history h JOIN sagas s ON s.id = h.saga_id WHERE s.status = 'succeeded' GROUP BY h.saga_id`,
        )
        .all() as { ms: number }[]
    )
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    db.close();
    const ceiling = await measurePlainRoundTrips(seconds, concurrency);
    const shapePerSecond = await measurePlainSagaShape(seconds, concurrency);
    return {
      concurrency,
      sagas: placed,
      perSecond: placed / elapsed,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      ceilingPerSecond: ceiling / ROUND_TRIPS_PER_SAGA,
      shapePerSecond,
      peakRssMb,
      driverCpuPercent: ((user + kernel) / 1e6 / elapsed) * 100,
    };
  } finally {
    clearInterval(sampler);
    await system.stop();
    vhost.remove();
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // /proc/<pid>/status VmRSS in kB; the process is `node --import tsx main.ts` itself.
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const run = await measureSagas(Number(process.argv[2] ?? 16), Number(process.argv[3] ?? 10));
  console.log(JSON.stringify(run, null, 2));
}
