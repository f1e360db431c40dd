import { SagaEngine, type SagaDatabase, type SagaRecord, type TransitionEvent } from "@asyncgen/saga";
import { orderServiceCommands as commands } from "@saga/generated/order-service";
import { buildMessage } from "@asyncgen/runtime";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOrderSaga, type CreateOrderSagaData } from "../src/create-order-saga/definition.js";
import { openOrderDatabase, OrderQueries } from "../src/create-order-saga/order-store.js";
import { EXPECTED_STATUSES, newOrder } from "../testing/orders.js";
import { createTestDatabase } from "../testing/postgres.js";
import { waitFor } from "../testing/system-under-test.js";

/**
 * The engine and the CreateOrderSaga against each real store (in-memory SQLite, and a PostgreSQL database of this
 * file's own); replies are fed by hand.
 */
const reply = (command: string, outcome: "success" | "failure") => `${command}.response.${outcome}`;
const VERIFY = "consumer_service.verify_consumer_details";
const CREATE = "restaurant_service.create_ticket";
const REJECT = "restaurant_service.reject_ticket";
const AUTHORIZE = "accounting_service.authorize_card";
const APPROVE = "restaurant_service.approve_ticket";
const REFUSAL = { type: "ValueError", message: "no", module: "test", traceback: [] };
const logger = pino({ level: "silent" });
/** The generated client's operation of each command type, as the outbox's rows name them. */
const operationOf: Record<string, string> = Object.fromEntries(
  Object.values(commands).map((command) => [command.message.name, command.operationId]),
);
const ticket = { order_id: 1, customer_id: 70, items: [{ name: "Dish 1", quantity: 1 }] };

/** How each database gives a test an empty store. */
interface Backend {
  readonly name: string;
  setUp(): Promise<void>;
  emptyStore(): Promise<SagaDatabase<CreateOrderSagaData>>;
  tearDown(): Promise<void>;
}

const sqlite = (): Backend => {
  let store: SagaDatabase<CreateOrderSagaData> | undefined;
  return {
    name: "SQLite",
    async setUp() {},
    async emptyStore() {
      await store?.close();
      store = await openOrderDatabase({ databaseFile: ":memory:" }, logger);
      return store;
    },
    tearDown: async () => store?.close(),
  };
};

const postgres = (): Backend => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: SagaDatabase<CreateOrderSagaData>;
  return {
    name: "PostgreSQL",
    async setUp() {
      database = await createTestDatabase("engine");
      store = await openOrderDatabase({ databaseUrl: database.url }, logger);
    },
    async emptyStore() {
      await store.all(
        `TRUNCATE sagas, saga_history, outbox, consumed_messages, orders, order_items RESTART IDENTITY`,
      );
      return store;
    },
    async tearDown() {
      await store?.close();
      await database?.drop();
    },
  };
};

describe.each([sqlite(), postgres()])("CreateOrderSaga on the saga engine ($name)", (backend) => {
  let store: SagaDatabase<CreateOrderSagaData>;
  let engine: SagaEngine<CreateOrderSagaData>;
  let queries: OrderQueries;
  let clock: number;
  let messageCount = 0;

  const send = (id: number, type: string, payload: unknown = null) =>
    engine.handleReply(id, type, payload, `m-${++messageCount}`);
  const sagaOf = async (id: number) => (await queries.saga(id))!;
  const orderOf = async (id: number) => (await queries.order(id))!;
  const statuses = async (id: number) => (await sagaOf(id)).history!.map((h) => h.status);
  /** A write computed from `saga` as it was, as a concurrent transition would make it. */
  const commitTampered = (saga: SagaRecord<CreateOrderSagaData>) =>
    store.commit({
      next: { ...saga, status: "tampered" },
      expectedVersion: saga.version,
      history: [],
      outbox: [],
      consumedMessageId: undefined,
    });
  /** The unsent outbox rows, read (not claimed: on PostgreSQL a claim takes a row for one relay). */
  const unsent = () =>
    store.all<{ correlation_id: string; type: string; body: Buffer }>(
      `SELECT correlation_id, type, body FROM outbox WHERE sent_at IS NULL ORDER BY id`,
    );
  const outbox = async () => (await unsent()).map((row) => `${row.correlation_id}:${operationOf[row.type]}`);

  /** The last command in the outbox: its wire type and payload. */
  const lastCommand = async () => {
    const row = (await unsent()).at(-1)!;
    return { type: row.type, payload: JSON.parse(row.body.toString()) as unknown };
  };

  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());

  beforeEach(async () => {
    store = await backend.emptyStore();
    clock = Date.parse("2026-11-26T12:00:00Z");
    engine = new SagaEngine(
      createOrderSaga({ stepDeadlineMs: 1000, maxResends: 1 }),
      store,
      logger,
      () => clock,
    );
    queries = new OrderQueries(store);
  });

  it("succeeds with the original's status sequence and records ticket and transaction", async () => {
    const id = await engine.start(newOrder());
    expect(await outbox()).toEqual([`${id}:verifyConsumerDetails`]);
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 231 });
    await send(id, reply(AUTHORIZE, "success"), { transaction_id: 512 });
    await send(id, reply(APPROVE, "success"));
    expect(await statuses(id)).toEqual(EXPECTED_STATUSES.succeeded);
    expect(await orderOf(id)).toMatchObject({
      status: "approved",
      restaurant_ticket_id: 231,
      transaction_id: 512,
    });
    expect(await sagaOf(id)).toMatchObject({ status: "succeeded", failed_step: null });
  });

  it("projects orders started and moved on together (one group commit) as it projects one at a time", async () => {
    const orders = Array.from({ length: 6 }, (_, i) =>
      newOrder({
        consumer_id: 70 + i,
        price: 10 + i,
        items: [
          { name: `Dish ${i}`, quantity: i + 1 },
          { name: `Side ${i}`, quantity: 1 },
        ],
      }),
    );
    const ids = await Promise.all(orders.map((order) => engine.start(order)));
    await Promise.all(ids.map((id) => send(id, reply(VERIFY, "success"))));
    await Promise.all(ids.map((id, i) => send(id, reply(CREATE, "success"), { ticket_id: 300 + i })));
    for (const [i, id] of ids.entries()) {
      expect(await orderOf(id)).toMatchObject({
        id,
        status: "pending_validation",
        consumer_id: 70 + i,
        price: 10 + i,
        items: orders[i]!.items,
        restaurant_ticket_id: 300 + i,
        transaction_id: null,
      });
    }
  });

  it("rejects the order when the consumer is refused", async () => {
    const id = await engine.start(newOrder({ consumer_id: 10 }));
    await send(id, reply(VERIFY, "failure"), REFUSAL);
    expect(await statuses(id)).toEqual(EXPECTED_STATUSES.consumerRefused);
    expect(await sagaOf(id)).toMatchObject({
      status: "failed",
      failed_step: "verify_consumer_details",
      failure_details: REFUSAL,
    });
    expect((await orderOf(id)).status).toBe("rejected");
  });

  it("rejects the ticket (confirmed by its reply) when the card is declined", async () => {
    const id = await engine.start(newOrder({ price: 80 }));
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 7 });
    await send(id, reply(AUTHORIZE, "failure"), REFUSAL);
    expect((await sagaOf(id)).status).toBe("create_restaurant_ticket.compensating");
    expect(await lastCommand()).toEqual({
      type: REJECT,
      payload: { ticket_id: 7 },
    });
    await send(id, reply(REJECT, "success"));
    expect(await statuses(id)).toEqual(EXPECTED_STATUSES.cardDeclined);
    expect((await sagaOf(id)).failed_step).toBe("authorize_card");
    expect((await orderOf(id)).status).toBe("rejected");
  });

  it("compensates from the step before when the orchestrator itself fails (quantity 100500)", async () => {
    const id = await engine.start(newOrder({ items: [{ name: "Dish 1", quantity: 100500 }] }));
    await send(id, reply(VERIFY, "success"));
    expect((await statuses(id)).slice(3)).toEqual([
      "create_restaurant_ticket.running",
      "verify_consumer_details.compensating",
      "verify_consumer_details.compensated",
      "reject_order.compensating",
      "reject_order.compensated",
      "failed",
    ]);
    const saga = await sagaOf(id);
    expect(saga.failed_step).toBe("create_restaurant_ticket");
    expect(saga.failure_details).toMatchObject({ type: "KeyError", message: "Incorrect quantity" });
    expect(await outbox()).toEqual([`${id}:verifyConsumerDetails`]); // no ticket command ever left
  });

  it("ignores duplicate, late and foreign replies without changing anything", async () => {
    const id = await engine.start(newOrder());
    await send(id, reply(VERIFY, "success"));
    const before = await sagaOf(id);
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
    expect((await sagaOf(id)).version).toBe(before.version + 2);
    expect((await outbox()).filter((o) => o.endsWith("approveTicket"))).toHaveLength(1);
  });

  it("resends an unanswered command at its deadline, then fails the step before the pivot", async () => {
    const id = await engine.start(newOrder());
    clock += 1001;
    await engine.onDeadline(id);
    expect(await outbox()).toEqual([`${id}:verifyConsumerDetails`, `${id}:verifyConsumerDetails`]);
    clock += 5000;
    await engine.onDeadline(id);
    const saga = await sagaOf(id);
    expect(saga).toMatchObject({ status: "failed", failed_step: "verify_consumer_details" });
    expect(saga.failure_details).toMatchObject({ type: "DeadlineExceeded" });
  });

  it("after the pivot, never compensates: a failed or unanswered step is retried until it succeeds", async () => {
    const id = await engine.start(newOrder());
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 5 });
    await send(id, reply(AUTHORIZE, "success"), { transaction_id: 9 });
    await send(id, reply(APPROVE, "failure"), REFUSAL);
    for (let i = 0; i < 5; i++) {
      clock += 60_000;
      await engine.onDeadline(id);
    }
    expect((await sagaOf(id)).status).toBe("approve_restaurant_ticket.running");
    expect((await outbox()).filter((o) => o.endsWith("approveTicket")).length).toBe(6);
    await send(id, reply(APPROVE, "success"));
    expect((await sagaOf(id)).status).toBe("succeeded");
    expect((await orderOf(id)).status).toBe("approved");
  });

  it("keeps resending a compensation until it is confirmed", async () => {
    const id = await engine.start(newOrder({ price: 80 }));
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 7 });
    await send(id, reply(AUTHORIZE, "failure"), REFUSAL);
    for (let i = 0; i < 4; i++) {
      clock += 60_000;
      await engine.onDeadline(id);
    }
    expect((await outbox()).filter((o) => o.endsWith("rejectTicket")).length).toBe(5);
    expect((await sagaOf(id)).status).toBe("create_restaurant_ticket.compensating");
  });

  /** Runs a saga up to the create-ticket step, then lets that step's deadline pass until it is given up. */
  const giveUpCreateTicket = async () => {
    const id = await engine.start(newOrder());
    await send(id, reply(VERIFY, "success"));
    for (let i = 0; i < 2; i++) {
      clock += 60_000;
      await engine.onDeadline(id);
    }
    return id;
  };

  it("gives up a compensable step at its deadline, but keeps asking until a late reply says what to undo", async () => {
    const id = await giveUpCreateTicket();
    expect(await sagaOf(id)).toMatchObject({
      status: "create_restaurant_ticket.compensating",
      failed_step: "create_restaurant_ticket",
      failure_details: { type: "DeadlineExceeded" },
    });
    clock += 60_000;
    await engine.onDeadline(id);
    expect((await outbox()).filter((o) => o.endsWith("createTicket"))).toHaveLength(4);
    // The restaurant comes back and creates the ticket after all: the saga rejects that very ticket.
    expect(await send(id, reply(CREATE, "success"), { ticket_id: 41 })).toBe("applied");
    expect(await lastCommand()).toEqual({
      type: REJECT,
      payload: { ticket_id: 41 },
    });
    expect(await send(id, reply(CREATE, "success"), { ticket_id: 41 })).toBe("ignored"); // a resend's reply
    await send(id, reply(REJECT, "success"));
    // From the ticket's compensation on, as when the card is declined.
    expect((await statuses(id)).slice(-6)).toEqual(EXPECTED_STATUSES.cardDeclined.slice(-6));
    expect((await orderOf(id)).status).toBe("rejected");
  });

  it("a late failure reply to a given-up step leaves nothing to undo there", async () => {
    const id = await giveUpCreateTicket();
    await send(id, reply(CREATE, "failure"), REFUSAL);
    expect(await sagaOf(id)).toMatchObject({ status: "failed", failed_step: "create_restaurant_ticket" });
    expect((await outbox()).filter((o) => o.endsWith("rejectTicket"))).toHaveLength(0);
  });

  it("never gives up the pivot at its deadline: its outcome decides the saga and nothing undoes it", async () => {
    const id = await engine.start(newOrder());
    await send(id, reply(VERIFY, "success"));
    await send(id, reply(CREATE, "success"), { ticket_id: 3 });
    for (let i = 0; i < 5; i++) {
      clock += 60_000;
      await engine.onDeadline(id);
    }
    expect((await sagaOf(id)).status).toBe("authorize_card.running");
    expect((await outbox()).filter((o) => o.endsWith("authorizeCard"))).toHaveLength(6);
    await send(id, reply(AUTHORIZE, "success"), { transaction_id: 8 });
    await send(id, reply(APPROVE, "success"));
    expect((await sagaOf(id)).status).toBe("succeeded");
  });

  it("refuses a stale write: concurrent transitions cannot both apply (optimistic concurrency)", async () => {
    const id = await engine.start(newOrder());
    const saga = (await store.load(id))!;
    await send(id, reply(VERIFY, "success"));
    await expect(commitTampered(saga)).rejects.toMatchObject({ code: "SAGA_CONCURRENT_UPDATE" });
    expect((await sagaOf(id)).status).toBe("create_restaurant_ticket.running");
  });

  it("replies handled at once (one commit group on SQLite) apply once per saga; a racing second is re-planned", async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => engine.start(newOrder())));
    // Every saga gets its awaited reply twice at the same moment, under two message ids (a resent command's
    // second answer): both are planned from the same version, only one may apply.
    const outcomes = await Promise.all(
      ids.flatMap((id) => [
        engine.handleReply(id, reply(VERIFY, "success"), null, `first-${id}`),
        engine.handleReply(id, reply(VERIFY, "success"), null, `second-${id}`),
      ]),
    );
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(ids.length);
    expect(outcomes.filter((o) => o === "ignored")).toHaveLength(ids.length);
    for (const id of ids) {
      expect(await sagaOf(id)).toMatchObject({ status: "create_restaurant_ticket.running", version: 2 });
      expect((await outbox()).filter((o) => o === `${id}:createTicket`)).toHaveLength(1);
    }
  });

  it("refuses a transition consuming a message already consumed, and writes none of it", async () => {
    const a = await engine.start(newOrder());
    const b = await engine.start(newOrder());
    expect(await engine.handleReply(a, reply(VERIFY, "success"), null, "shared")).toBe("applied");
    const saga = (await store.load(b))!;
    await expect(
      store.commit({
        next: { ...saga, status: "create_restaurant_ticket.running" },
        expectedVersion: saga.version,
        history: [{ status: "create_restaurant_ticket.running", at: new Date(clock).toISOString() }],
        outbox: [
          buildMessage(commands.createTicket.route, commands.createTicket.message, ticket, "1.0.0", {
            correlationId: String(b),
            messageId: "never-written",
          }),
        ],
        consumedMessageId: "shared",
      }),
    ).rejects.toMatchObject({ code: "SAGA_CONCURRENT_UPDATE" });
    expect(await store.load(b)).toMatchObject({ version: saga.version, status: saga.status });
    expect(await store.all(`SELECT 1 FROM outbox WHERE message_id = 'never-written'`)).toEqual([]);
  });

  it("announces each committed transition to subscribers, once committed, and never a refused one", async () => {
    const heard: TransitionEvent[] = [];
    const unsubscribe = store.subscribe((event) => heard.push(event));
    try {
      const id = await engine.start(newOrder());
      const stale = (await store.load(id))!;
      await send(id, reply(VERIFY, "success"));
      await expect(commitTampered(stale)).rejects.toMatchObject({ code: "SAGA_CONCURRENT_UPDATE" });
      await send(id, reply(CREATE, "success"), { ticket_id: 3 });
      // PostgreSQL delivers its notifications after the commit, in commit order.
      await waitFor(() => heard.length >= 3, 10_000);
      expect(heard).toEqual([
        { saga: id, status: "verify_consumer_details.running" },
        { saga: id, status: "create_restaurant_ticket.running" },
        { saga: id, status: "authorize_card.running" },
      ]);
    } finally {
      unsubscribe();
    }
  });
});
