import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTransport } from "@asyncgen/runtime";
import { IdempotentOrders } from "../src/create-order-saga/idempotent-orders.js";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { createTestDatabase } from "../testing/postgres.js";

/**
 * POST /orders with an Idempotency-Key, on SQLite and on PostgreSQL: retries (also 50 at once) get the first
 * request's order and saga, a different body with the same key is refused, and a key is forgotten after its retention.
 */
const databases: [
  string,
  () => Promise<{ location: { databaseFile: string } | { databaseUrl: string }; drop(): Promise<void> }>,
][] = [
  ["sqlite", async () => ({ location: { databaseFile: ":memory:" }, drop: async () => {} })],
  [
    "postgres",
    async () => {
      const database = await createTestDatabase("idempotency");
      return { location: { databaseUrl: database.url }, drop: () => database.drop() };
    },
  ],
];

const ORDER = { consumer_id: 70, card_id: 3, price: 20, items: [{ name: "Dish 1", quantity: 2 }] };

describe.each(databases)("idempotent POST /orders on %s", (_kind, open) => {
  let service: RunningOrderService;
  let drop: () => Promise<void>;
  const transport = createInProcessTransport();

  beforeAll(async () => {
    const database = await open();
    drop = () => database.drop();
    service = await startOrderService({
      transport,
      logger: pino({ level: "silent" }),
      ...database.location,
      port: 0,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await transport.close();
    await drop?.();
  });

  const post = async (body: unknown, key?: string) => {
    const response = await fetch(`${service.url}/orders`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key === undefined ? {} : { "idempotency-key": key }),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const ordersOf = async (consumerId: number) =>
    (
      await service.store.all<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM orders WHERE consumer_id = ?`,
        [consumerId],
      )
    ).map((row) => Number(row.n))[0];
  const sagaCount = async () =>
    Number((await service.store.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM sagas`))[0]!.n);

  it("gives 50 parallel POSTs with one key one order and one saga, and all of them the same answer", async () => {
    const order = { ...ORDER, consumer_id: 71 };
    const sagasBefore = await sagaCount();
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(order, "parallel-key-1")));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(await ordersOf(71)).toBe(1);
    expect(await sagaCount()).toBe(sagasBefore + 1);
    const { order_id } = answers[0]!.body as { order_id: number };
    expect((await fetch(`${service.url}/orders/${order_id}`).then((r) => r.json())) as object).toMatchObject({
      consumer_id: 71,
      status: "pending_validation",
    });
  });

  it("answers a later retry, with its JSON keys in another order, with the same order", async () => {
    const first = await post({ ...ORDER, consumer_id: 72 }, "retry-key");
    const { items, price, card_id } = ORDER;
    const again = await post({ items, price, card_id, consumer_id: 72 }, "retry-key");
    expect(again).toEqual(first);
    expect(first.status).toBe(202);
    expect(await ordersOf(72)).toBe(1);
  });

  it("refuses the same key with a different body (422, coded) and stores nothing for it", async () => {
    await post({ ...ORDER, consumer_id: 73 }, "reused-key");
    const other = await post({ ...ORDER, consumer_id: 74 }, "reused-key");
    expect(other).toMatchObject({ status: 422, body: { code: "HTTP_IDEMPOTENCY_KEY_REUSED" } });
    expect(await ordersOf(74)).toBe(0);
  });

  it("creates an order per request without a key, and refuses a malformed key", async () => {
    await post({ ...ORDER, consumer_id: 75 });
    await post({ ...ORDER, consumer_id: 75 });
    expect(await ordersOf(75)).toBe(2);
    const bad = await post(ORDER, "has spaces");
    expect(bad).toMatchObject({ status: 400, body: { code: "HTTP_INVALID_IDEMPOTENCY_KEY" } });
    expect((await post(ORDER, "x".repeat(256))).status).toBe(400);
  });

  it("forgets a key after its retention: the same key then creates a new order", async () => {
    const first = await post({ ...ORDER, consumer_id: 76 }, "expiring-key");
    const later = new IdempotentOrders(
      service.store,
      (data) => service.engine.start(data),
      60_000,
      () => Date.now() + 60_001,
    );
    const id = await later.start({ ...ORDER, consumer_id: 77 }, "expiring-key");
    expect(id).not.toBe(first.body.order_id);
    expect(await ordersOf(76)).toBe(1);
    expect(await ordersOf(77)).toBe(1);
    // The key now belongs to the new order.
    expect((await post({ ...ORDER, consumer_id: 77 }, "expiring-key")).body.order_id).toBe(id);
  });
});
