import { pino } from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { openSqlite, type SqliteDatabase } from "@saga/service-kit";
import { createOrderSaga, type CreateOrderSagaData } from "../src/create-order-saga/definition.js";
import {
  createOrderSagaStore,
  ORDER_SERVICE_MIGRATIONS,
  OrderQueries,
} from "../src/create-order-saga/order-store.js";
import { SagaEngine } from "../src/saga-engine/engine.js";
import type { SqliteSagaStore } from "../src/saga-engine/sqlite-store.js";

/** The engine and the CreateOrderSaga against a real (in-memory) SQLite store; replies are fed by hand. */
const reply = (command: string, outcome: "success" | "failure") => `${command}.response.${outcome}`;
const VERIFY = "consumer_service.verify_consumer_details";
const CREATE = "restaurant_service.create_ticket";
const REJECT = "restaurant_service.reject_ticket";
const AUTHORIZE = "accounting_service.authorize_card";
const APPROVE = "restaurant_service.approve_ticket";
const REFUSAL = { type: "ValueError", message: "no", module: "test", traceback: [] };

let db: SqliteDatabase;
let store: SqliteSagaStore<CreateOrderSagaData>;
let engine: SagaEngine<CreateOrderSagaData>;
let queries: OrderQueries;
let clock: number;
let messageCount = 0;

function order(overrides: Partial<CreateOrderSagaData> = {}): CreateOrderSagaData {
  return {
    consumer_id: 70,
    card_id: 3,
    price: 20,
    items: [{ name: "Dish 1", quantity: 2 }],
    status: "pending_validation",
    restaurant_ticket_id: null,
    transaction_id: null,
    ...overrides,
  };
}

const send = (id: number, type: string, payload: unknown = null) =>
  engine.handleReply(id, type, payload, `m-${++messageCount}`);
const statuses = (id: number) => queries.saga(id)!.history!.map((h) => h.status);
const outbox = () => store.pendingOutbox(100).map((row) => `${row.correlationId}:${row.operation}`);

beforeEach(() => {
  db = openSqlite(":memory:", ORDER_SERVICE_MIGRATIONS);
  store = createOrderSagaStore(db);
  clock = Date.parse("2026-11-26T12:00:00Z");
  engine = new SagaEngine(
    createOrderSaga({ stepDeadlineMs: 1000, maxResends: 1 }),
    store,
    pino({ level: "silent" }),
    () => clock,
  );
  queries = new OrderQueries(db);
});

describe("CreateOrderSaga on the saga engine", () => {
  it("succeeds with the original's status sequence and records ticket and transaction", async () => {
    const id = await engine.start(order());
    expect(outbox()).toEqual([`${id}:verifyConsumerDetails`]);
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 231 });
    await send(id, reply(AUTHORIZE, "success"), { transaction_id: 512 });
    await send(id, reply(APPROVE, "success"));
    expect(statuses(id)).toEqual([
      "not_started",
      "reject_order.running",
      "verify_consumer_details.running",
      "create_restaurant_ticket.running",
      "authorize_card.running",
      "approve_restaurant_ticket.running",
      "approve_order.running",
      "succeeded",
    ]);
    expect(queries.order(id)).toMatchObject({
      status: "approved",
      restaurant_ticket_id: 231,
      transaction_id: 512,
    });
    expect(queries.saga(id)).toMatchObject({ status: "succeeded", failed_step: null });
  });

  it("rejects the order when the consumer is refused", async () => {
    const id = await engine.start(order({ consumer_id: 10 }));
    await send(id, reply(VERIFY, "failure"), REFUSAL);
    expect(statuses(id).slice(3)).toEqual([
      "reject_order.compensating",
      "reject_order.compensated",
      "failed",
    ]);
    expect(queries.saga(id)).toMatchObject({
      status: "failed",
      failed_step: "verify_consumer_details",
      failure_details: REFUSAL,
    });
    expect(queries.order(id)!.status).toBe("rejected");
  });

  it("rejects the ticket (confirmed by its reply) when the card is declined", async () => {
    const id = await engine.start(order({ price: 80 }));
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 7 });
    await send(id, reply(AUTHORIZE, "failure"), REFUSAL);
    expect(queries.saga(id)!.status).toBe("create_restaurant_ticket.compensating");
    expect(store.pendingOutbox(100).at(-1)).toMatchObject({
      operation: "rejectTicket",
      payload: { ticket_id: 7 },
    });
    await send(id, reply(REJECT, "success"));
    expect(statuses(id).slice(5)).toEqual([
      "create_restaurant_ticket.compensating",
      "create_restaurant_ticket.compensated",
      "verify_consumer_details.compensating",
      "verify_consumer_details.compensated",
      "reject_order.compensating",
      "reject_order.compensated",
      "failed",
    ]);
    expect(queries.saga(id)!.failed_step).toBe("authorize_card");
    expect(queries.order(id)!.status).toBe("rejected");
  });

  it("compensates from the step before when the orchestrator itself fails (quantity 100500)", async () => {
    const id = await engine.start(order({ items: [{ name: "Dish 1", quantity: 100500 }] }));
    await send(id, reply(VERIFY, "success"));
    expect(statuses(id).slice(3)).toEqual([
      "create_restaurant_ticket.running",
      "verify_consumer_details.compensating",
      "verify_consumer_details.compensated",
      "reject_order.compensating",
      "reject_order.compensated",
      "failed",
    ]);
    const saga = queries.saga(id)!;
    expect(saga.failed_step).toBe("create_restaurant_ticket");
    expect(saga.failure_details).toMatchObject({ type: "KeyError", message: "Incorrect quantity" });
    expect(outbox()).toEqual([`${id}:verifyConsumerDetails`]); // no ticket command ever left
  });

  it("ignores duplicate, late and foreign replies without changing anything", async () => {
    const id = await engine.start(order());
    await send(id, reply(VERIFY, "success"));
    const before = queries.saga(id)!;
    expect(await engine.handleReply(id, reply(VERIFY, "success"), null, "m-dup")).toBe("ignored"); // late duplicate
    expect(await send(id, reply(APPROVE, "success"))).toBe("ignored"); // another step
    expect(await send(id, reply(REJECT, "success"))).toBe("ignored"); // a compensation nobody asked for
    expect(await send(999, reply(VERIFY, "success"))).toBe("unknown-saga");
    const applied = await send(id, reply(CREATE, "success"), { ticket_id: 1 });
    expect(applied).toBe("applied");
    // The same message delivered twice is recognised by its id.
    expect(await engine.handleReply(id, reply(AUTHORIZE, "success"), { transaction_id: 1 }, "same")).toBe(
      "applied",
    );
    expect(await engine.handleReply(id, reply(AUTHORIZE, "success"), { transaction_id: 1 }, "same")).toBe(
      "duplicate",
    );
    expect(queries.saga(id)!.version).toBe(before.version + 2);
    expect(outbox().filter((o) => o.endsWith("approveTicket"))).toHaveLength(1);
  });

  it("resends an unanswered command at its deadline, then fails the step before the pivot", async () => {
    const id = await engine.start(order());
    clock += 1001;
    await engine.onDeadline(id);
    expect(outbox()).toEqual([`${id}:verifyConsumerDetails`, `${id}:verifyConsumerDetails`]);
    clock += 5000;
    await engine.onDeadline(id);
    const saga = queries.saga(id)!;
    expect(saga).toMatchObject({ status: "failed", failed_step: "verify_consumer_details" });
    expect(saga.failure_details).toMatchObject({ type: "DeadlineExceeded" });
  });

  it("after the pivot, never compensates: a failed or unanswered step is retried until it succeeds", async () => {
    const id = await engine.start(order());
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 5 });
    await send(id, reply(AUTHORIZE, "success"), { transaction_id: 9 });
    await send(id, reply(APPROVE, "failure"), REFUSAL);
    for (let i = 0; i < 5; i++) {
      clock += 60_000;
      await engine.onDeadline(id);
    }
    expect(queries.saga(id)!.status).toBe("approve_restaurant_ticket.running");
    expect(outbox().filter((o) => o.endsWith("approveTicket")).length).toBe(6);
    await send(id, reply(APPROVE, "success"));
    expect(queries.saga(id)!.status).toBe("succeeded");
    expect(queries.order(id)!.status).toBe("approved");
  });

  it("keeps resending a compensation until it is confirmed", async () => {
    const id = await engine.start(order({ price: 80 }));
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 7 });
    await send(id, reply(AUTHORIZE, "failure"), REFUSAL);
    for (let i = 0; i < 4; i++) {
      clock += 60_000;
      await engine.onDeadline(id);
    }
    expect(outbox().filter((o) => o.endsWith("rejectTicket")).length).toBe(5);
    expect(queries.saga(id)!.status).toBe("create_restaurant_ticket.compensating");
  });

  it("refuses a stale write: concurrent transitions cannot both apply (optimistic concurrency)", async () => {
    const id = await engine.start(order());
    const saga = (await store.load(id))!;
    await send(id, reply(VERIFY, "success"));
    await expect(
      store.commit({
        next: { ...saga, status: "tampered" },
        expectedVersion: saga.version,
        history: [],
        outbox: [],
        consumedMessageId: undefined,
      }),
    ).rejects.toMatchObject({ code: "SAGA_CONCURRENT_UPDATE" });
    expect(queries.saga(id)!.status).toBe("create_restaurant_ticket.running");
  });
});
