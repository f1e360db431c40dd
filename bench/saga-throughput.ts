import { performance } from "node:perf_hooks";
import pg from "pg";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "@asyncgen/saga/testing";
import { SagaCompletions, startSystem, type RunningSystem } from "@saga/order-service/testing";
import { OrderDriver } from "./order-driver.js";
import { WARM_UP_SECONDS } from "./warm-up.js";
import { brokerPid, CpuWindow, PeakRss } from "./process-usage.js";

/** Where the order service keeps its state, and how many instances of it run. */
export const DEPLOYMENTS = {
  sqlite: "SQLite (embedded default), one order service",
  postgres: "PostgreSQL, one order service",
  "postgres-2": "PostgreSQL, two order-service processes on one database",
} as const;
export type Deployment = keyof typeof DEPLOYMENTS;

export interface SagaRun {
  readonly deployment: Deployment;
  readonly concurrency: number;
  readonly sagas: number;
  readonly perSecond: number;
  /** HTTP POST to the `succeeded` event, as the load driver timed it (the same on every database). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * CPU per completed saga of each process of the system (the order services, the participants, PostgreSQL's
   * backends, the RabbitMQ node) and of the load driver.
   */
  readonly cpuMsPerSaga: Record<string, number>;
  readonly peakRssMb: Record<string, number>;
  /** CPU the load driver itself used, in % of one core: it shares the machine with the system it measures. */
  readonly driverCpuPercent: number;
}

const ORDER = { consumer_id: 70, card_id: 3, price: 20, items: [{ name: "Dish 1", quantity: 2 }] };

/** A system of four service processes (a second order service for `postgres-2`) on a fresh vhost and database. */
async function deploy(deployment: Deployment, label: string) {
  const vhost = createTestVhost(`bench-${label}`);
  const database = deployment === "sqlite" ? undefined : await createTestDatabase(`bench_${label}`);
  const profile = process.env.BENCH_PROFILE_DIR;
  let system: RunningSystem | undefined;
  try {
    system = await startSystem(
      vhost.url,
      {
        APPROVE_TICKET_FAILURE_RATE: "0",
        LOG_LEVEL: "warn",
        ...(database ? { DATABASE_URL: database.url } : {}),
      },
      profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [],
    );
    const second = deployment === "postgres-2" ? await system.startAnotherOrderService() : undefined;
    const processes = (): Record<string, number | undefined> => ({
      ...Object.fromEntries(
        Object.entries(system!.processes).map(([name, child]) => [
          second && name === "order-service" ? "order-service #1" : name,
          child.pid,
        ]),
      ),
      ...(second ? { "order-service #2": second.process.pid } : {}),
    });
    return {
      system,
      second,
      urls: second ? [system.url, second.url] : [system.url],
      database,
      processes,
      async stop() {
        await system?.stop();
        await database?.drop();
        vhost.remove();
      },
    };
  } catch (error) {
    await system?.stop();
    await database?.drop();
    vhost.remove();
    throw error;
  }
}

/** The PostgreSQL server processes serving one database (its backends), by pid. */
async function backends(database: string | undefined): Promise<Record<string, number>> {
  if (!database) return {};
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    return Object.fromEntries(rows.map(({ pid }) => [`postgres backend ${pid}`, pid]));
  } finally {
    await client.end();
  }
}

/**
 * Sagas completed per second end to end (HTTP POST to `succeeded`, heard on `/events`), the services as separate
 * processes on RabbitMQ, `concurrency` orders in flight spread over the order-service instances.
 */
export async function measureSagas(
  deployment: Deployment,
  concurrency: number,
  seconds: number,
  warmUpSeconds = WARM_UP_SECONDS,
): Promise<SagaRun> {
  const running = await deploy(deployment, `${deployment}_${concurrency}`);
  const rss = new PeakRss(running.processes);
  try {
    const completions = await SagaCompletions.connect(running.system.url);
    const drivers = running.urls.map((url) => new OrderDriver(url, concurrency));
    const latencies: number[] = [];
    // Not measured: connection set-up and V8 optimising the services' hot code (see WARM_UP_SECONDS).
    await drive(drivers, completions, concurrency, Date.now() + warmUpSeconds * 1000, []);
    const pgBackends = await backends(running.database?.name);
    const broker = brokerPid();
    const cpu = new CpuWindow(() => ({
      ...running.processes(),
      ...pgBackends,
      ...(broker ? { rabbitmq: broker } : {}),
      "load driver": process.pid,
    }));
    cpu.start();
    const driverCpu = process.cpuUsage();
    const started = Date.now();
    const placed = await drive(drivers, completions, concurrency, started + seconds * 1000, latencies);
    const elapsed = (Date.now() - started) / 1000;
    const used = cpu.stop();
    const { user, system: kernel } = process.cpuUsage(driverCpu);
    completions.close();
    for (const driver of drivers) driver.close();
    latencies.sort((a, b) => a - b);
    const perSaga: Record<string, number> = {};
    for (const [name, ms] of Object.entries(used)) {
      const key = name.startsWith("postgres backend") ? "postgres (its backends)" : name;
      perSaga[key] = (perSaga[key] ?? 0) + ms / placed;
    }
    return {
      deployment,
      concurrency,
      sagas: placed,
      perSecond: placed / elapsed,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      cpuMsPerSaga: perSaga,
      peakRssMb: rss.peakMb,
      driverCpuPercent: ((user + kernel) / 1e6 / elapsed) * 100,
    };
  } finally {
    rss.stop();
    await running.stop();
  }
}

/** Keeps `concurrency` orders in flight until `until`, spread over the drivers; returns how many completed. */
async function drive(
  drivers: readonly OrderDriver[],
  completions: SagaCompletions,
  concurrency: number,
  until: number,
  latencies: number[],
): Promise<number> {
  let completed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const driver = drivers[worker % drivers.length]!;
      while (Date.now() < until) {
        const start = performance.now();
        await completions.done(await driver.place(ORDER));
        latencies.push(performance.now() - start);
        completed++;
      }
    }),
  );
  return completed;
}

export interface TakeoverRun {
  /** Sagas the killed instance had started that had not ended when it was killed. */
  readonly inFlight: number;
  /** From the SIGKILL until the last of them ended: heard on the survivor's `/events`, or seen in the database. */
  readonly ms: number;
  /** Those that had not ended within TAKEOVER_LIMIT_MS, as the database has them then (what each awaits). */
  readonly unfinished: readonly UnfinishedSaga[];
}

export interface UnfinishedSaga {
  readonly id: number;
  readonly status: string;
  readonly awaiting: string | null;
  readonly outbox: readonly { type: string; sent_at: string | null; claimed_by: string | null }[];
}

/** How long the takeover measure waits for the killed instance's sagas. */
const TAKEOVER_LIMIT_MS = 60_000;

/** The sagas `ids` and their outbox rows, as the order service's database has them now. */
async function unfinishedSagas(client: pg.Client, ids: readonly number[]): Promise<UnfinishedSaga[]> {
  if (ids.length === 0) return [];
  const { rows: sagas } = await client.query<{ id: number; status: string; awaiting: string | null }>(
    `SELECT id, status, awaiting FROM sagas WHERE id = ANY($1::bigint[]) ORDER BY id`,
    [ids],
  );
  const { rows: outbox } = await client.query<UnfinishedSaga["outbox"][number] & { correlation_id: string }>(
    `SELECT correlation_id, type, sent_at, claimed_by FROM outbox WHERE correlation_id = ANY($1::text[]) ORDER BY id`,
    [ids.map(String)],
  );
  return sagas.map((saga) => ({
    id: Number(saga.id),
    status: saga.status,
    awaiting: saga.awaiting,
    outbox: outbox
      .filter((row) => row.correlation_id === String(saga.id))
      .map(({ type, sent_at, claimed_by }) => ({ type, sent_at, claimed_by })),
  }));
}

/**
 * Two order-service instances on one PostgreSQL database under load; one is SIGKILLed (it hands nothing back), and
 * the time is measured until the survivor has finished every saga the killed one had in flight: its leased outbox
 * rows taken over once their lease runs out (OUTBOX_LEASE_MS, default 3 s), its unacked replies redelivered.
 */
export async function measureTakeover(concurrency: number, loadSeconds: number): Promise<TakeoverRun> {
  const running = await deploy("postgres-2", "takeover");
  try {
    const completions = await SagaCompletions.connect(running.system.url);
    const [survivor, victim] = running.urls.map((url) => new OrderDriver(url, concurrency));
    const victimSagas = new Set<number>();
    let killed = false;
    const load = Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        const onVictim = worker % 2 === 1;
        while (!(killed && onVictim)) {
          const id = await (onVictim ? victim! : survivor!).place(ORDER).catch(() => undefined);
          if (id === undefined) return; // the victim is gone: its worker stops
          if (onVictim) victimSagas.add(id);
          await completions.done(id);
          if (onVictim) victimSagas.delete(id);
          if (killed && !onVictim) return;
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, loadSeconds * 1000));
    const exited = new Promise((resolve) => running.second!.process.once("exit", resolve));
    running.second!.process.kill("SIGKILL");
    killed = true;
    await exited;
    const killedAt = performance.now();
    const inFlight = [...victimSagas];
    const open = new Set(inFlight);
    let allEnded = () => {};
    const ended = new Promise<void>((resolve) => (allEnded = resolve));
    const end = (id: number) => open.delete(id) && open.size === 0 && allEnded();
    for (const id of inFlight) void completions.done(id).then(() => end(id));
    // What a user sees: every end on the survivor's /events, those the killed instance committed and died before
    // announcing included (the survivor finds them in the database, SagaEnds). Past the limit, what is left is
    // read from the database and printed.
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, TAKEOVER_LIMIT_MS).unref())]);
    const ms = performance.now() - killedAt;
    const database = new pg.Client({ connectionString: running.database!.url });
    await database.connect();
    const unfinished = await unfinishedSagas(database, [...open]).finally(() => database.end());
    await Promise.race([load, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    completions.close();
    survivor!.close();
    victim!.close();
    return { inFlight: inFlight.length, ms, unfinished };
  } finally {
    await running.stop();
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const deployment = (process.argv[2] ?? "sqlite") as Deployment;
  if (deployment in DEPLOYMENTS) {
    const [inFlight, seconds, warmUp] = [3, 4, 5].map((index) => process.argv[index]);
    const run = await measureSagas(
      deployment,
      Number(inFlight ?? 64),
      Number(seconds ?? 10),
      Number(warmUp ?? WARM_UP_SECONDS),
    );
    console.log(JSON.stringify(run, null, 2));
  } else if (process.argv[2] === "takeover") {
    console.log(JSON.stringify(await measureTakeover(16, 3), null, 2));
  } else {
    console.error(
      `usage: saga-throughput.ts <${Object.keys(DEPLOYMENTS).join("|")}|takeover> [in flight] [s] [warm-up s]`,
    );
    process.exitCode = 2;
  }
}
