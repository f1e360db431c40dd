import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, queueDepths } from "@asyncgen/runtime/testing";
import { EXPECTED_STATUSES } from "../testing/orders.js";
import { transitionStatuses } from "../testing/saga-checks.js";
import { createTestDatabase } from "../testing/postgres.js";
import { ServiceDatabases } from "../testing/service-databases.js";
import { startSystem, waitFor, type RunningSystem } from "../testing/system-under-test.js";

/**
 * The CreateOrderSaga end to end: four service processes on real RabbitMQ (a private vhost), driven through the
 * HTTP API as a user would, with every service on its embedded SQLite and then on PostgreSQL (DATABASE_URL).
 * approve_ticket fails transiently half the time here, and is retried.
 */
let vhost: ReturnType<typeof createTestVhost>;
let system: RunningSystem;

/** The order service's database for one run: the environment that selects it, and how to remove it. */
const BACKENDS = [
  { name: "SQLite", open: async () => ({ env: {}, remove: async () => {} }) },
  {
    name: "PostgreSQL",
    open: async () => {
      const database = await createTestDatabase("e2e");
      return { env: { DATABASE_URL: database.url }, remove: () => database.drop() };
    },
  },
];

interface SagaBody {
  id: number;
  status: string;
  version: number;
  failed_step: string | null;
  failure_details: { type: string } | null;
  history: { status: string; at: string; detail?: unknown }[];
}

async function post(body: unknown): Promise<Response> {
  return fetch(`${system.url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function placeOrder(body: object): Promise<number> {
  const response = await post({ card_id: 3, items: [{ name: "Dish 1", quantity: 2 }], ...body });
  expect(response.status).toBe(202);
  return ((await response.json()) as { saga_id: number }).saga_id;
}

async function finished(id: number): Promise<SagaBody> {
  let saga: SagaBody | undefined;
  await waitFor(
    async () => {
      saga = (await (await fetch(`${system.url}/sagas/${id}`)).json()) as SagaBody;
      return saga.status === "succeeded" || saga.status === "failed";
    },
    20_000,
    () => JSON.stringify(saga),
  );
  return saga!;
}

const order = async (id: number) =>
  (await (await fetch(`${system.url}/orders/${id}`)).json()) as Record<string, unknown>;
/** The restaurant's tickets of an order, from its SQLite file or (with DATABASE_URL) its PostgreSQL schema. */
async function ticketsOf(id: number, env: Record<string, string>): Promise<{ id: number; state: string }[]> {
  const databases = new ServiceDatabases({ dataDir: system.dataDir, databaseUrl: env.DATABASE_URL });
  try {
    return await databases.query("restaurant-service", "SELECT id, state FROM tickets WHERE order_id = ?", [
      id,
    ]);
  } finally {
    await databases.close();
  }
}
/** With APPROVE_TICKET_FAILURE_RATE 0.5, 1 approve in 32 fails five times, is dead-lettered and resent at its deadline. */
const statuses = (saga: SagaBody) => transitionStatuses(saga.history);

describe.each(BACKENDS)("CreateOrderSaga end to end (4 processes, RabbitMQ, $name)", (backend) => {
  let orderDatabase: Awaited<ReturnType<(typeof backend)["open"]>> | undefined;

  beforeAll(async () => {
    vhost = createTestVhost("saga-e2e");
    orderDatabase = await backend.open();
    system = await startSystem(vhost.url, {
      APPROVE_TICKET_FAILURE_RATE: "0.5",
      STEP_DEADLINE_MS: "5000",
      ...orderDatabase.env,
    });
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
    await orderDatabase?.remove();
    vhost?.remove();
  });

  it("approves an order: ticket approved, card authorized, statuses as the original", async () => {
    const id = await placeOrder({ consumer_id: 70, price: 20 });
    const saga = await finished(id);
    expect(statuses(saga)).toEqual(EXPECTED_STATUSES.succeeded);
    const placed = await order(id);
    expect(placed).toMatchObject({ status: "approved" });
    const tickets = await ticketsOf(id, orderDatabase!.env);
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ id: placed.restaurant_ticket_id, state: "approved" });
  });

  it("rejects the order of a consumer below 50", async () => {
    const saga = await finished(await placeOrder({ consumer_id: 10, price: 20 }));
    expect(saga).toMatchObject({ status: "failed", failed_step: "verify_consumer_details" });
    expect(statuses(saga).slice(-3)).toEqual([
      "reject_order.compensating",
      "reject_order.compensated",
      "failed",
    ]);
    expect((await order(saga.id)).status).toBe("rejected");
  });

  it("rejects the ticket by compensation when the card is declined", async () => {
    const id = await placeOrder({ consumer_id: 70, price: 80 });
    const saga = await finished(id);
    expect(saga).toMatchObject({ status: "failed", failed_step: "authorize_card" });
    expect(statuses(saga)).toContain("create_restaurant_ticket.compensated");
    expect((await order(id)).status).toBe("rejected");
    const tickets = await ticketsOf(id, orderDatabase!.env);
    expect(tickets.map((ticket) => ticket.state)).toEqual(["rejected"]);
  });

  it("compensates from the step before when the orchestrator fails (quantity 100500)", async () => {
    const id = await placeOrder({
      consumer_id: 70,
      price: 20,
      items: [{ name: "Dish 1", quantity: 100500 }],
    });
    const saga = await finished(id);
    expect(saga).toMatchObject({ status: "failed", failed_step: "create_restaurant_ticket" });
    expect(saga.failure_details?.type).toBe("KeyError");
    expect(await ticketsOf(id, orderDatabase!.env)).toEqual([]);
  });

  it("retries transient approve_ticket failures: every order is still approved", async () => {
    // At rate 0.5 no attempt fails in a batch of 6 once in 64 runs; batches are added until one has (at most
    // 5 batches: all 30 first attempts succeed once in a billion), so the test sees a retry without being flaky.
    const transientFailures = () =>
      system.logs["restaurant-service"].join("").match(/transient/gi)?.length ?? 0;
    const before = transientFailures();
    for (let batch = 0; batch < 5 && transientFailures() === before; batch++) {
      const ids = await Promise.all(
        Array.from({ length: 6 }, () => placeOrder({ consumer_id: 70, price: 20 })),
      );
      for (const id of ids) expect((await finished(id)).status).toBe("succeeded");
    }
    expect(transientFailures()).toBeGreaterThan(before);
  });

  it.each([
    ["not JSON", "{nope", "application/json"],
    [
      "a missing field",
      JSON.stringify({ consumer_id: 70, card_id: 1, items: [{ name: "x", quantity: 1 }] }),
      "application/json",
    ],
    [
      "a string for an integer",
      JSON.stringify({ consumer_id: "70", card_id: 1, price: 2, items: [{ name: "x", quantity: 1 }] }),
      "application/json",
    ],
    ["no items", JSON.stringify({ consumer_id: 70, card_id: 1, price: 2, items: [] }), "application/json"],
    [
      "an unknown field",
      JSON.stringify({ consumer_id: 70, card_id: 1, price: 2, items: [{ name: "x", quantity: 1 }], x: 1 }),
      "application/json",
    ],
    [
      "a zero quantity",
      JSON.stringify({ consumer_id: 70, card_id: 1, price: 2, items: [{ name: "x", quantity: 0 }] }),
      "application/json",
    ],
  ])("answers 400 to a body with %s and stores nothing", async (_label, body, type) => {
    const before = (await (await fetch(`${system.url}/sagas?limit=1000`)).json()) as { sagas: unknown[] };
    const response = await fetch(`${system.url}/orders`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toMatch(
      /^(HTTP_INVALID_REQUEST|HTTP_MALFORMED_JSON)$/,
    );
    const after = (await (await fetch(`${system.url}/sagas?limit=1000`)).json()) as { sagas: unknown[] };
    expect(after.sagas.length).toBe(before.sagas.length);
  });

  it("answers 413 to a body over the limit", async () => {
    const response = await post({
      consumer_id: 70,
      card_id: 1,
      price: 2,
      items: [{ name: "x".repeat(100_000), quantity: 1 }],
    });
    expect(response.status).toBe(413);
  });

  it("ignores a duplicate reply injected for a finished step", async () => {
    const id = await placeOrder({ consumer_id: 70, price: 20 });
    const done = await finished(id);
    const connection = await amqp.connect(vhost.url);
    const channel = await connection.createConfirmChannel();
    channel.publish("", "create_order_saga_responses", Buffer.from("null"), {
      type: "consumer_service.verify_consumer_details.response.success",
      correlationId: String(id),
      messageId: `injected-${id}`,
      contentType: "application/json",
      persistent: true,
      headers: { contract_version: "1.0.0" },
    });
    await channel.waitForConfirms();
    await connection.close();
    await waitFor(() => (queueDepths(vhost.vhost)["create_order_saga_responses"] ?? 0) === 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const after = (await (await fetch(`${system.url}/sagas/${id}`)).json()) as SagaBody;
    expect(after.version).toBe(done.version);
    expect(after.history).toEqual(done.history);
    expect(system.logs["order-service"].join("")).toMatch(/reply ignored/);
  });
});
