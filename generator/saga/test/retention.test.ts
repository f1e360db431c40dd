import { randomUUID } from "node:crypto";
import { silentLogger, type Logger } from "@asyncgen/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RetentionPruner,
  retentionSql,
  SAGA_RETENTION_INDEXES,
  SAGA_SCHEMA,
  type RetentionOptions,
  type RetentionPolicy,
  type SagaDatabase,
} from "../src/index.js";
import { PostgresSagaStore } from "../src/postgres/index.js";
import { SqliteSagaStore } from "../src/sqlite/index.js";
import { createTestDatabase } from "../testing/index.js";

const MINUTE = 60_000;
const POLICY: RetentionPolicy = {
  dedupMs: 60 * MINUTE,
  sentOutboxMs: 10 * MINUTE,
  historyMs: 30 * MINUTE,
  graceMs: 5 * MINUTE,
};
/** The pruners' clock: the store's rows are written with times relative to it. */
const T0 = Date.parse("2026-12-01T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** Records warnings, so a test can see what a failed pass logged. */
function recordingLogger(): Logger & { warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  return { ...silentLogger, warnings, warn: (obj) => void warnings.push(obj as Record<string, unknown>) };
}

type Store = SagaDatabase<unknown>;

async function consumed(store: Store, at: number): Promise<string> {
  const id = randomUUID();
  await store.all(`INSERT INTO consumed_messages (message_id, consumed_at) VALUES (?, ?) RETURNING 1`, [
    id,
    iso(at),
  ]);
  return id;
}

async function outboxRow(
  store: Store,
  state: { sentAt?: number; parkedAt?: number; createdAt: number },
): Promise<number> {
  const [row] = await store.all<{ id: number }>(
    `INSERT INTO outbox (message_id, exchange, routing_key, type, timestamp, headers, body, created_at, sent_at,
       parked_at, park_reason) VALUES (?, '', 'q', 't', 0, '{}', ?, ?, ?, ?, ?) RETURNING id`,
    [
      randomUUID(),
      Buffer.from("{}"),
      iso(state.createdAt),
      state.sentAt === undefined ? null : iso(state.sentAt),
      state.parkedAt === undefined ? null : iso(state.parkedAt),
      state.parkedAt === undefined ? null : "refused",
    ],
  );
  return Number(row!.id);
}

/** A saga with `entries` history rows, last updated (finished, if its status is terminal) at `updatedAt`. */
async function saga(store: Store, status: string, updatedAt: number, entries = 3): Promise<number> {
  const [row] = await store.all<{ id: number }>(
    `INSERT INTO sagas (type, status, version, data, created_at, updated_at) VALUES ('t', ?, 1, '{}', ?, ?)
     RETURNING id`,
    [status, iso(updatedAt - MINUTE), iso(updatedAt)],
  );
  const id = Number(row!.id);
  for (let i = 0; i < entries; i++)
    await store.all(`INSERT INTO saga_history (saga_id, status, at) VALUES (?, ?, ?) RETURNING 1`, [
      id,
      `step${i}`,
      iso(updatedAt),
    ]);
  return id;
}

const count = async (store: Store, sql: string, params: unknown[] = []) =>
  Number((await store.all<{ n: number | string }>(`SELECT count(*) AS n FROM ${sql}`, params))[0]!.n);

interface Clock {
  now: number;
}

function pruner(store: Store, clock: Clock, options: Partial<RetentionOptions> = {}): RetentionPruner {
  return new RetentionPruner(store, {
    policy: POLICY,
    tables: ["consumed_messages", "outbox", "saga_history"],
    logger: silentLogger,
    now: () => clock.now,
    ...options,
  });
}

const backends: { name: string; open(): Promise<Store>; close(): Promise<void> }[] = [
  (() => {
    const stores: Store[] = [];
    return {
      name: "SQLite",
      async open() {
        const store = SqliteSagaStore.open<unknown>(":memory:", [SAGA_SCHEMA, SAGA_RETENTION_INDEXES], "t");
        stores.push(store);
        return store;
      },
      close: async () => void (await Promise.all(stores.map((store) => store.close().catch(() => {})))),
    };
  })(),
  (() => {
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    const stores: Store[] = [];
    return {
      name: "PostgreSQL",
      async open() {
        database ??= await createTestDatabase("retention");
        const store = await PostgresSagaStore.open<unknown>({
          url: database.url,
          migrations: [SAGA_SCHEMA, SAGA_RETENTION_INDEXES],
          schemaName: "retention_test",
          type: "t",
          logger: silentLogger,
        });
        await store.all(`TRUNCATE sagas, saga_history, outbox, consumed_messages RESTART IDENTITY`);
        stores.push(store);
        return store;
      },
      async close() {
        await Promise.all(stores.map((store) => store.close().catch(() => {})));
        await database?.drop();
      },
    };
  })(),
];

describe.each(backends)("retention on $name", (backend) => {
  afterAll(() => backend.close());

  it("prunes consumed-message records older than the window once the grace after start is over, keeps newer ones", async () => {
    const store = await backend.open();
    const clock = { now: T0 };
    const prune = pruner(store, clock);
    const pruneAt = T0 + POLICY.graceMs;
    const old = await consumed(store, pruneAt - POLICY.dedupMs - MINUTE);
    const inside = await consumed(store, pruneAt - POLICY.dedupMs + MINUTE);

    // Just started: the messages that waited in the queues arrive first, and their records must still be there.
    expect((await prune.pruneOnce()).consumed_messages).toBe(0);
    expect(await store.hasConsumed(old)).toBe(true);

    clock.now = pruneAt;
    expect((await prune.pruneOnce()).consumed_messages).toBe(1);
    expect(await store.hasConsumed(old)).toBe(false);
    // A redelivery of a message consumed inside the window is still recognised.
    expect(await store.hasConsumed(inside)).toBe(true);
  });

  it("starts the grace again after a pass found the broker connection down", async () => {
    const store = await backend.open();
    const clock = { now: T0 };
    let connected = true;
    const prune = pruner(store, clock, { isConnected: () => connected });
    const old = await consumed(store, T0 - 2 * POLICY.dedupMs);

    clock.now = T0 + POLICY.graceMs + MINUTE;
    connected = false; // a broker outage: nothing is delivered, the queues fill up
    expect((await prune.pruneOnce()).consumed_messages).toBe(0);
    connected = true;
    clock.now += 3 * POLICY.dedupMs; // back after an outage longer than the window
    expect((await prune.pruneOnce()).consumed_messages).toBe(0);
    clock.now += POLICY.graceMs - 1;
    expect((await prune.pruneOnce()).consumed_messages).toBe(0);
    expect(await store.hasConsumed(old)).toBe(true);
    clock.now += 1;
    expect((await prune.pruneOnce()).consumed_messages).toBe(1);
  });

  it("prunes sent outbox rows older than their window; unsent and parked rows stay whatever their age", async () => {
    const store = await backend.open();
    const clock = { now: T0 };
    const longAgo = T0 - 10 * POLICY.sentOutboxMs;
    const sentOld = await outboxRow(store, { createdAt: longAgo, sentAt: longAgo });
    const sentRecently = await outboxRow(store, { createdAt: longAgo, sentAt: T0 - MINUTE });
    const unsent = await outboxRow(store, { createdAt: longAgo });
    const parked = await outboxRow(store, { createdAt: longAgo, parkedAt: longAgo });

    expect((await pruner(store, clock).pruneOnce()).outbox).toBe(1);
    const left = (await store.all<{ id: number }>(`SELECT id FROM outbox ORDER BY id`)).map((r) =>
      Number(r.id),
    );
    expect(left).toEqual([sentRecently, unsent, parked]);
    expect(left).not.toContain(sentOld);
  });

  it("prunes the history of sagas finished before the window, in batches; the sagas and unfinished ones stay", async () => {
    const store = await backend.open();
    const clock = { now: T0 };
    const old = T0 - POLICY.historyMs - MINUTE;
    const finishedLongAgo = await Promise.all(
      Array.from({ length: 12 }, (_, i) => saga(store, i % 2 ? "failed" : "succeeded", old - i * 1000)),
    );
    const finishedRecently = await saga(store, "succeeded", T0 - MINUTE);
    const stuck = await saga(store, "authorize_card.running", old);
    // One batch is 1 saga (batchSize 10 / 10): the pass takes twelve batches.
    const prune = pruner(store, clock, { batchSize: 10 });

    expect((await prune.pruneOnce()).saga_history).toBe(36);
    const history = await store.all<{ saga_id: number }>(
      `SELECT DISTINCT saga_id FROM saga_history ORDER BY saga_id`,
    );
    expect(history.map((r) => Number(r.saga_id))).toEqual([finishedRecently, stuck]);
    expect(await count(store, "sagas")).toBe(14);
    for (const id of finishedLongAgo) expect((await store.load(id))?.status).toMatch(/succeeded|failed/);

    // Later the recent one is past the window too, and the saga that was stuck has finished meanwhile.
    clock.now = T0 + POLICY.historyMs;
    await store.all(`UPDATE sagas SET status = 'succeeded', updated_at = ? WHERE id = ? RETURNING 1`, [
      iso(T0 - 1),
      stuck,
    ]);
    expect((await prune.pruneOnce()).saga_history).toBe(6);
    expect(await count(store, "saga_history")).toBe(0);
  });

  it("prunes many rows in one pass, batch after batch", async () => {
    const store = await backend.open();
    const clock = { now: T0 };
    const prune = pruner(store, clock, { batchSize: 7 });
    clock.now = T0 + POLICY.graceMs;
    for (let i = 0; i < 30; i++) await consumed(store, T0 - 2 * POLICY.dedupMs + i);
    await consumed(store, T0);
    expect((await prune.pruneOnce()).consumed_messages).toBe(30);
    expect(await count(store, "consumed_messages")).toBe(1);
  });

  it("logs a pass that fails with SAGA_RETENTION_PRUNE_FAILED and never throws", async () => {
    const store = await backend.open();
    const logger = recordingLogger();
    const prune = pruner(store, { now: T0 }, { logger });
    await store.close();
    await expect(prune.pruneOnce()).resolves.toEqual({ consumed_messages: 0, outbox: 0, saga_history: 0 });
    // Consumed records are in their grace; the outbox and the history were tried, and both failures logged.
    expect(logger.warnings.map((w) => [w.code, w.table])).toEqual([
      ["SAGA_RETENTION_PRUNE_FAILED", "outbox"],
      ["SAGA_RETENTION_PRUNE_FAILED", "saga_history"],
    ]);
    expect((logger.warnings[0]!.err as { code: string }).code).toBe("SAGA_RETENTION_PRUNE_FAILED");
  });
});

describe("retention SQL on SQLite", () => {
  let store: SqliteSagaStore<unknown>;
  beforeAll(() => {
    store = SqliteSagaStore.open<unknown>(":memory:", [SAGA_SCHEMA, SAGA_RETENTION_INDEXES], "t");
  });
  afterAll(() => store.close());

  it.each(Object.entries(retentionSql("sqlite")))(
    "%s walks an index, never the whole table",
    async (_, sql) => {
      const params = [...sql.matchAll(/\?/g)].map((_, i) => (i % 2 ? 0 : ""));
      const plan = await store.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
      const details = plan.map((row) => row.detail);
      expect(details.some((detail) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(detail))).toBe(
        true,
      );
      expect(
        details.filter((detail) => /^SCAN (sagas|saga_history|outbox|consumed_messages)$/.test(detail)),
      ).toEqual([]);
      expect(details).not.toContain("USE TEMP B-TREE FOR ORDER BY");
    },
  );
});
