import { SagaEngine, type SagaDatabase } from "@asyncgen/saga";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DashboardQueries, THROUGHPUT_QUERY } from "../src/create-order-saga/dashboard-queries.js";
import { createOrderSaga, type CreateOrderSagaData } from "../src/create-order-saga/definition.js";
import { openOrderDatabase, OrderQueries } from "../src/create-order-saga/order-store.js";
import { newOrder } from "../testing/orders.js";

/**
 * A saga's sequence diagram read back from what the engine stores, for the paths the demo scenarios do not take:
 * resends at a deadline, a step given up on, a failure after the pivot. The real engine on SQLite, with its clock
 * and its replies driven by hand; nothing is published (every command stays `pending`).
 */
const VERIFY = "consumer_service.verify_consumer_details";
const CREATE = "restaurant_service.create_ticket";
const REJECT = "restaurant_service.reject_ticket";
const AUTHORIZE = "accounting_service.authorize_card";
const APPROVE = "restaurant_service.approve_ticket";
const DEADLINE_MS = 1000;

describe("a saga's messages, read from its history and outbox", () => {
  let store: SagaDatabase<CreateOrderSagaData>;
  let engine: SagaEngine<CreateOrderSagaData>;
  let dashboard: DashboardQueries<CreateOrderSagaData>;
  let clock: number;
  let messages = 0;
  const definition = createOrderSaga({ stepDeadlineMs: DEADLINE_MS, maxResends: 1 });
  const reply = (id: number, type: string, payload: unknown = null) =>
    engine.handleReply(id, type, payload, `m-${++messages}`);
  /** Lets the deadline pass (the backoff's longest wait) and runs the poller's work. */
  const deadline = async (id: number) => {
    clock += 10 * DEADLINE_MS + 1;
    await engine.onDeadline(id);
  };
  const arrows = async (id: number) =>
    (await dashboard.sequence(id))!.messages.map((m) =>
      m.kind === "command" ? `-> ${m.type} #${m.attempt} ${m.status}` : `<- ${m.type}`,
    );

  beforeEach(async () => {
    store = await openOrderDatabase({ databaseFile: ":memory:" }, pino({ level: "silent" }));
    clock = Date.parse("2026-11-26T12:00:00Z");
    engine = new SagaEngine(definition, store, pino({ level: "silent" }), () => clock);
    dashboard = new DashboardQueries(store, new OrderQueries(store), definition);
  });
  afterEach(() => store.close());

  it("draws a resend after a deadline as a second attempt, then the reply", async () => {
    const id = await engine.start(newOrder());
    await deadline(id);
    clock += 5;
    await reply(id, `${VERIFY}.response.success`);
    expect(await arrows(id)).toEqual([
      `-> ${VERIFY} #1 pending`,
      `-> ${VERIFY} #2 pending`,
      `<- ${VERIFY}.response.success`,
      `-> ${CREATE} #1 pending`,
    ]);
  });

  it("draws no reply for a step failed at its deadline", async () => {
    const id = await engine.start(newOrder());
    await deadline(id);
    await deadline(id);
    const sequence = (await dashboard.sequence(id))!;
    expect(sequence.status).toBe("failed");
    expect(await arrows(id)).toEqual([`-> ${VERIFY} #1 pending`, `-> ${VERIFY} #2 pending`]);
  });

  it("draws a failure after the pivot, the resend, and its success", async () => {
    const id = await engine.start(newOrder());
    await reply(id, `${VERIFY}.response.success`);
    await reply(id, `${CREATE}.response.success`, { ticket_id: 7 });
    await reply(id, `${AUTHORIZE}.response.success`, { transaction_id: 9 });
    await reply(id, `${APPROVE}.response.failure`, {
      type: "Busy",
      message: "try again",
      module: "r",
      traceback: [],
    });
    await deadline(id);
    await reply(id, `${APPROVE}.response.success`);
    expect((await dashboard.sequence(id))!.status).toBe("succeeded");
    expect(await arrows(id)).toEqual([
      `-> ${VERIFY} #1 pending`,
      `<- ${VERIFY}.response.success`,
      `-> ${CREATE} #1 pending`,
      `<- ${CREATE}.response.success`,
      `-> ${AUTHORIZE} #1 pending`,
      `<- ${AUTHORIZE}.response.success`,
      `-> ${APPROVE} #1 pending`,
      `<- ${APPROVE}.response.failure`,
      `-> ${APPROVE} #2 pending`,
      `<- ${APPROVE}.response.success`,
    ]);
  });

  it("draws a step given up on, its late success and the compensation that follows", async () => {
    const id = await engine.start(newOrder());
    await reply(id, `${VERIFY}.response.success`);
    await deadline(id);
    await deadline(id); // given up: the saga fails this step and keeps resending until a reply tells
    await reply(id, `${CREATE}.response.success`, { ticket_id: 7 });
    await reply(id, `${REJECT}.response.success`);
    const sequence = (await dashboard.sequence(id))!;
    expect(sequence.status).toBe("failed");
    expect(await arrows(id)).toEqual([
      `-> ${VERIFY} #1 pending`,
      `<- ${VERIFY}.response.success`,
      `-> ${CREATE} #1 pending`,
      `-> ${CREATE} #2 pending`,
      `-> ${CREATE} #3 pending`,
      `<- ${CREATE}.response.success`,
      `-> ${REJECT} #1 pending`,
      `<- ${REJECT}.response.success`,
    ]);
    expect(sequence.messages.at(-2)).toMatchObject({
      phase: "compensation",
      step: "create_restaurant_ticket",
    });
  });

  it("draws the orchestrator's own fault as no command at all", async () => {
    const id = await engine.start(newOrder({ items: [{ name: "Dish 1", quantity: 100500 }] }));
    await reply(id, `${VERIFY}.response.success`);
    expect(await arrows(id)).toEqual([`-> ${VERIFY} #1 pending`, `<- ${VERIFY}.response.success`]);
  });
});

describe("the charts' numbers", () => {
  it("counts per bucket and takes p50/p99 by nearest rank over each step's waits", async () => {
    const store = await openOrderDatabase({ databaseFile: ":memory:" }, pino({ level: "silent" }));
    const start = Date.parse("2026-11-26T12:00:00Z");
    let clock = start;
    const engine = new SagaEngine(
      createOrderSaga({ stepDeadlineMs: DEADLINE_MS, maxResends: 1 }),
      store,
      pino({ level: "silent" }),
      () => clock,
    );
    // 100 sagas, one a second; the consumer answers the n-th after n ms and refuses every tenth.
    for (let n = 1; n <= 100; n++) {
      clock = start + n * 1000;
      const id = await engine.start(newOrder());
      clock += n;
      await engine.handleReply(
        id,
        `${VERIFY}.response.${n % 10 === 0 ? "failure" : "success"}`,
        n % 10 === 0 ? { type: "ValueError", message: "no", module: "c", traceback: [] } : null,
        `v-${n}`,
      );
    }
    const dashboard = new DashboardQueries(
      store,
      new OrderQueries(store),
      createOrderSaga({ stepDeadlineMs: 1, maxResends: 1 }),
    );
    const activity = await dashboard.activity(5, start + 100_500);
    expect(activity.bucket_seconds).toBe(5);
    const sum = (field: "started" | "succeeded" | "failed") =>
      activity.throughput.reduce((total, bucket) => total + bucket[field], 0);
    expect([sum("started"), sum("succeeded"), sum("failed")]).toEqual([100, 0, 10]);
    // The window ends with the bucket holding "now" (100 s to 105 s): the 100th saga, refused; 95 s to 99 s before it.
    expect(activity.throughput.at(-1)).toMatchObject({
      at: "2026-11-26T12:01:40.000Z",
      started: 1,
      failed: 1,
    });
    expect(activity.throughput.at(-2)).toMatchObject({ started: 5, failed: 0 });
    // The 90 waits for a ticket have no reply yet: not a sample.
    expect(activity.steps).toEqual([
      { step: "verify_consumer_details", phase: "action", samples: 100, p50_ms: 50, p99_ms: 99 },
    ]);
    await store.close();
  });

  it("reads the throughput from the index of the entries that start and end sagas", async () => {
    const store = await openOrderDatabase({ databaseFile: ":memory:" }, pino({ level: "silent" }));
    const plan = await store.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${THROUGHPUT_QUERY}`, [
      "2026-11-26T12:00:00Z",
    ]);
    expect(plan.map(({ detail }) => detail).join("\n")).toContain("USING INDEX saga_history_throughput");
    await store.close();
  });
});
