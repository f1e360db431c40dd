import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTransport } from "@asyncgen/runtime";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { createTestDatabase } from "../testing/postgres.js";
import { readTransitionEvents, type StreamedTransition } from "../testing/saga-completions.js";

/**
 * `/events` on PostgreSQL hears every instance's transitions through NOTIFY, which follows each commit. A saga's end
 * committed by an instance that died before its NOTIFY is found in the database and announced once; an end heard
 * both ways is announced once; an end from before anyone listened is not announced as missed.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: RunningOrderService;
let sql: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase("saga_ends");
  service = await startOrderService({
    transport: createInProcessTransport(),
    logger: pino({ level: "silent" }),
    databaseUrl: database.url,
    port: 0,
  });
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await service?.stop();
  await database?.drop();
});

/** A saga that ended `agoMs` ago, written as an instance's commit is, but with no NOTIFY after it. */
async function endedWithoutNotify(status: "succeeded" | "failed", agoMs: number): Promise<number> {
  const at = new Date(Date.now() - agoMs).toISOString();
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO sagas (type, status, version, data, created_at, updated_at)
     VALUES ('CreateOrderSaga', $1, 4, '{}', $2, $2) RETURNING id`,
    [status, at],
  );
  return Number(rows[0]!.id);
}

/** Follows /events and keeps every event it streams. */
async function followEvents(): Promise<{ events: StreamedTransition[]; close(): void }> {
  const abort = new AbortController();
  const response = await fetch(`${service.url}/events`, { signal: abort.signal });
  const events: StreamedTransition[] = [];
  void readTransitionEvents(response.body!, (event) => events.push(event)).catch(() => {});
  return { events, close: () => abort.abort() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("saga ends on /events, PostgreSQL", () => {
  it("does not announce as missed an end from before anyone listened", async () => {
    const before = await endedWithoutNotify("succeeded", 1500);
    const stream = await followEvents();
    try {
      await sleep(3000);
      expect(stream.events.filter((event) => event.saga === before)).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it("announces once an end whose instance died before its NOTIFY, within seconds", async () => {
    const stream = await followEvents();
    try {
      await sleep(200); // listening
      const unannounced = await endedWithoutNotify("succeeded", 0);
      const started = performance.now();
      await expect
        .poll(() => stream.events.filter((event) => event.saga === unannounced), { timeout: 6000 })
        .toEqual([{ saga: unannounced, status: "succeeded" }]);
      expect(performance.now() - started).toBeLessThan(4500); // 1-2 s, with room for a loaded machine
      // A NOTIFY that comes after all, and later reads of the database, find it again: not announced twice.
      await sql.query(`SELECT pg_notify('saga_transitions', $1)`, [
        JSON.stringify([{ saga: unannounced, status: "succeeded" }]),
      ]);
      await sleep(2500);
      expect(stream.events.filter((event) => event.saga === unannounced)).toHaveLength(1);
    } finally {
      stream.close();
    }
  });

  it("announces once an end heard both through NOTIFY and in the database", async () => {
    const stream = await followEvents();
    try {
      await sleep(200);
      const failed = await endedWithoutNotify("failed", 0);
      await sql.query(`SELECT pg_notify('saga_transitions', $1)`, [
        JSON.stringify([{ saga: failed, status: "failed" }]),
      ]);
      await sleep(3500); // past the grace period: the database read finds it too
      expect(stream.events.filter((event) => event.saga === failed)).toEqual([
        { saga: failed, status: "failed" },
      ]);
    } finally {
      stream.close();
    }
  });
});
