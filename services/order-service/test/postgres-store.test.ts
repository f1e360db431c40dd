import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderSaga, type CreateOrderSagaData } from "../src/create-order-saga/definition.js";
import {
  openOrderDatabase,
  ORDER_SERVICE_MIGRATIONS,
  OrderQueries,
} from "../src/create-order-saga/order-store.js";
import { SagaEngine } from "@asyncgen/saga";
import { PostgresSagaStore } from "@asyncgen/saga/postgres";
import type { SagaDatabase, TransitionEvent } from "@asyncgen/saga";
import { newOrder } from "../testing/orders.js";
import { createTestDatabase } from "../testing/postgres.js";
import { waitFor } from "../testing/system-under-test.js";

/**
 * Two order-service instances on one PostgreSQL database, reduced to what decides "exactly once": two stores (two
 * connection pools) and two engines racing on the same saga, the same reply, the same outbox rows.
 */
const logger = pino({ level: "silent" });
const VERIFY_SUCCESS = "consumer_service.verify_consumer_details.response.success";
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let first: SagaDatabase<CreateOrderSagaData>;
let second: SagaDatabase<CreateOrderSagaData>;
let clock = Date.parse("2026-11-26T12:00:00Z");
const engineOn = (store: SagaDatabase<CreateOrderSagaData>) =>
  new SagaEngine(createOrderSaga({ stepDeadlineMs: 1000, maxResends: 3 }), store, logger, () => clock);
const order = newOrder();

beforeAll(async () => {
  database = await createTestDatabase("store");
  // Two instances starting at once: the advisory lock lets one migrate while the other waits.
  [first, second] = await Promise.all([
    openOrderDatabase({ databaseUrl: database.url }, logger),
    openOrderDatabase({ databaseUrl: database.url }, logger),
  ]);
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await database?.drop();
});

describe("PostgreSQL saga store, two instances on one database", () => {
  it("migrates once when two instances start at once", async () => {
    expect(await first.all(`SELECT version FROM order_service_migrations ORDER BY version`)).toEqual(
      ORDER_SERVICE_MIGRATIONS.map((_, index) => ({ version: index + 1 })),
    );
  });

  it("acts on an overdue saga once when both deadline pollers race; the loser is no failure", async () => {
    const id = await engineOn(first).start(order);
    clock += 1001;
    await Promise.all([engineOn(first).onDeadline(id), engineOn(second).onDeadline(id)]);
    const saga = (await new OrderQueries(second).saga(id))!;
    expect(saga.version).toBe(2);
    expect(saga.history!.filter((h) => h.detail !== undefined)).toEqual([
      expect.objectContaining({
        detail: { deadline: "passed", resent: "verifyConsumerDetails", attempt: 2 },
      }),
    ]);
    const commands = await first.all(`SELECT type FROM outbox WHERE correlation_id = ?`, [String(id)]);
    expect(commands).toEqual([
      { type: "consumer_service.verify_consumer_details" },
      { type: "consumer_service.verify_consumer_details" },
    ]);
  });

  it("applies one reply delivered to both instances at once exactly once", async () => {
    const id = await engineOn(first).start(order);
    const outcomes = await Promise.all([
      engineOn(first).handleReply(id, VERIFY_SUCCESS, null, `reply-${id}`),
      engineOn(second).handleReply(id, VERIFY_SUCCESS, null, `reply-${id}`),
    ]);
    // The loser either finds the message consumed, or (having checked just before the winner committed) finds
    // the saga no longer waiting for it.
    expect(outcomes.filter((outcome) => outcome === "applied")).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome !== "applied")[0]).toMatch(/^(duplicate|ignored)$/);
    const saga = (await new OrderQueries(first).saga(id))!;
    expect(saga).toMatchObject({ version: 2, status: "create_restaurant_ticket.running" });
    expect(saga.history!.filter((h) => h.status === "create_restaurant_ticket.running")).toHaveLength(1);
  });

  it("streams every instance's transitions to each instance's subscribers, also after losing the connection", async () => {
    const heard: TransitionEvent[] = [];
    const unsubscribe = second.subscribe((event) => heard.push(event));
    try {
      const engine = engineOn(first);
      const id = await engine.start(order);
      await waitFor(() => heard.some((event) => event.saga === id), 10_000);
      expect(heard.filter((event) => event.saga === id)).toEqual([
        { saga: id, status: "verify_consumer_details.running" },
      ]);
      // A server restart or network cut ends the listening connection; it listens again on its own.
      const terminated = await first.all(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN saga_transitions'`,
      );
      expect(terminated).toContainEqual({ done: true });
      await waitFor(async () => {
        const next = await engine.start(order);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return heard.some((event) => event.saga === next);
      }, 15_000);
    } finally {
      unsubscribe();
    }
  });

  it("leases outbox rows to one relay: two relays claim disjoint rows, and a closed one hands its rows back", async () => {
    await first.markSent((await first.pendingOutbox(1000)).map((row) => row.id));
    const engine = engineOn(first);
    const ids = await Promise.all(Array.from({ length: 20 }, () => engine.start(order)));
    const [mine, theirs] = await Promise.all([first.pendingOutbox(10), second.pendingOutbox(1000)]);
    const claimed = [...mine, ...theirs]
      .map((row) => Number(row.message.properties.correlationId))
      .sort((x, y) => x - y);
    expect(claimed).toEqual(ids.sort((x, y) => x - y)); // every row once, none twice
    // Its own rows are in its relay's hands now (it hands back what it cannot publish), and the other's are the other's.
    expect(await second.pendingOutbox(1000)).toEqual([]);

    const third = await openOrderDatabase({ databaseUrl: database.url }, logger);
    try {
      expect(await third.pendingOutbox(1000)).toEqual([]);
      await second.close(); // hands its claims back
      second = await openOrderDatabase({ databaseUrl: database.url }, logger);
      expect(await third.pendingOutbox(1000)).toEqual(theirs);
    } finally {
      await third.close();
    }
  });

  it("keeps a live instance's rows its own past the lease (its heartbeat), until it hands back those it cannot publish", async () => {
    await first.markSent((await first.pendingOutbox(1000)).map((row) => row.id));
    const id = await engineOn(first).start(order);
    // An instance whose relay claimed the row and is slow to publish it; a short lease keeps the test quick.
    const slow = await PostgresSagaStore.open<CreateOrderSagaData>({
      url: database.url,
      migrations: [],
      schemaName: "order_service",
      type: "create_order_saga",
      logger,
      outboxLeaseMs: 300,
    });
    try {
      const claimed = await slow.pendingOutbox(10);
      expect(claimed.map((row) => row.message.properties.correlationId)).toEqual([String(id)]);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // three leases: renewed by the heartbeat
      expect(await first.pendingOutbox(10)).toEqual([]);
      await slow.release(claimed.map((row) => row.id)); // its relay could not reach the broker
      expect((await first.pendingOutbox(10)).map((row) => row.id)).toEqual(claimed.map((row) => row.id));
      expect(await slow.pendingOutbox(10)).toEqual([]); // now leased to `first`
    } finally {
      await slow.close();
    }
  });

  it("refuses a lease it could not renew in time", async () => {
    await expect(
      PostgresSagaStore.open({
        url: database.url,
        migrations: [],
        schemaName: "order_service",
        type: "create_order_saga",
        logger,
        outboxLeaseMs: 0.5,
      }),
    ).rejects.toThrow(/OUTBOX_LEASE_MS.*at least 3 ms, not 0.5/);
  });
});

describe("PostgreSQL saga store, failures at start", () => {
  it("applies no part of a migration set that fails, and names the migration", async () => {
    const open = PostgresSagaStore.open({
      url: database.url,
      migrations: [() => "CREATE TABLE half_done (id INTEGER)", () => "CREATE TABLE broken ("],
      schemaName: "broken_service",
      type: "broken",
      logger,
    });
    await expect(open).rejects.toMatchObject({
      code: "DB_MIGRATION_FAILED",
      message: expect.stringMatching(/^broken_service: migration 2 failed: syntax error/),
    });
    expect(
      await first.all(
        `SELECT to_regclass('half_done') AS half_done, to_regclass('broken_service_migrations') AS log`,
      ),
    ).toEqual([{ half_done: null, log: null }]);
  });

  it("fails to start when PostgreSQL does not answer, without the password in the error", async () => {
    const open = PostgresSagaStore.open({
      url: "postgres://postgres:not-for-logs@127.0.0.1:1/nowhere",
      migrations: [],
      schemaName: "order_service",
      type: "create_order_saga",
      logger,
    });
    const error = await open.then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error?.message).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify({ message: error?.message, stack: error?.stack })).not.toContain("not-for-logs");
  });
});
