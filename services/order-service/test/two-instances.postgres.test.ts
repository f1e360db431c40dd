import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { pino, type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAmqp, type OutgoingMessage, type Transport } from "@saga/runtime";
import { createTestVhost } from "@saga/runtime/testing";
import type { SagaView } from "../src/create-order-saga/order-store.js";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { EXPECTED_STATUSES } from "../testing/orders.js";
import { startParticipants } from "../testing/participants.js";
import { createTestDatabase } from "../testing/postgres.js";
import { waitFor } from "../testing/system-under-test.js";

/**
 * Two order-service instances on one PostgreSQL database and one RabbitMQ vhost, with the three participants, driven
 * through both HTTP APIs. Step deadlines are short and approve_ticket fails transiently half the time, so resends,
 * late replies and both instances' deadline pollers race on the same sagas; each saga must still advance once.
 */
const STEP_DEADLINE_MS = 150;

interface Instance {
  readonly service: RunningOrderService;
  readonly transport: Transport;
  /** Message ids this instance's relay published. */
  readonly published: string[];
  /** Its log lines, parsed. */
  readonly logs: { level: number; msg: string }[];
}

let vhost: ReturnType<typeof createTestVhost>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let participantsTransport: Transport;
let participants: { stop(): Promise<void> };
let instances: Instance[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), "two-instances-"));

/** Records the id of every message published through the transport. */
function recordingPublishes(transport: Transport, published: string[]): Transport {
  return new Proxy(transport, {
    get(target, property) {
      if (property === "publish")
        return (message: OutgoingMessage) => {
          published.push(message.properties.messageId);
          return target.publish(message);
        };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function capturingLogger(lines: { level: number; msg: string }[]): Logger {
  return pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
}

async function startInstance(name: string): Promise<Instance> {
  const published: string[] = [];
  const logs: Instance["logs"] = [];
  const logger = capturingLogger(logs);
  const transport = await connectAmqp(vhost.url, { logger, connectionName: `order-service-${name}` });
  const service = await startOrderService({
    transport: recordingPublishes(transport, published),
    logger,
    databaseUrl: database.url,
    port: 0,
    stepDeadlineMs: STEP_DEADLINE_MS,
    maxResends: 10,
    deadlinePollMs: 50,
  });
  return { service, transport, published, logs };
}

beforeAll(async () => {
  vhost = createTestVhost("two-instances");
  database = await createTestDatabase("two_instances");
  const logger = pino({ level: "silent" });
  participantsTransport = await connectAmqp(vhost.url, { logger, connectionName: "participants" });
  participants = await startParticipants({
    transport: participantsTransport,
    dataDir,
    logger,
    approveTicketFailureRate: 0.5,
  });
  // Both start at once: the second waits on the first's migrations (advisory lock), then finds the schema current.
  instances = await Promise.all([startInstance("a"), startInstance("b")]);
}, 60_000);

afterAll(async () => {
  for (const instance of instances) {
    await instance.service.stop();
    await instance.transport.close();
  }
  await participants?.stop();
  await participantsTransport?.close();
  await database?.drop();
  vhost?.remove();
});

/** The demo scenarios and the status sequence each must show (transitions only, resend notes left out). */
const SCENARIOS = [
  {
    order: { consumer_id: 70, price: 20 },
    end: "succeeded",
    statuses: EXPECTED_STATUSES.succeeded,
    ticket: "approved",
    authorized: true,
  },
  {
    order: { consumer_id: 10, price: 20 },
    end: "failed",
    statuses: EXPECTED_STATUSES.consumerRefused,
    ticket: undefined,
    authorized: false,
  },
  {
    order: { consumer_id: 70, price: 80 },
    end: "failed",
    statuses: EXPECTED_STATUSES.cardDeclined,
    ticket: "rejected",
    authorized: false,
  },
] as const;

async function placeOrder(instance: Instance, order: object): Promise<number> {
  const response = await fetch(`${instance.service.url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ card_id: 3, items: [{ name: "Dish 1", quantity: 2 }], ...order }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { saga_id: number }).saga_id;
}

const sagaVia = async (instance: Instance, id: number) =>
  (await (await fetch(`${instance.service.url}/sagas/${id}`)).json()) as SagaView;

describe("two order-service instances on one PostgreSQL database", () => {
  it("advance every saga exactly once while replies and deadlines race", async () => {
    const placed = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const scenario = SCENARIOS[index % SCENARIOS.length]!;
        const id = await placeOrder(instances[index % 2]!, scenario.order);
        return { id, scenario };
      }),
    );

    const sagas = new Map<number, SagaView>();
    await waitFor(
      async () => {
        for (const [index, { id }] of placed.entries()) {
          const saga = await sagaVia(instances[(index + 1) % 2]!, id); // read through the other instance
          if (saga.status === "succeeded" || saga.status === "failed") sagas.set(id, saga);
        }
        return sagas.size === placed.length;
      },
      60_000,
      () => `${sagas.size}/${placed.length} sagas finished`,
    );

    const restaurant = new Database(path.join(dataDir, "restaurant-service.sqlite"), { readonly: true });
    const accounting = new Database(path.join(dataDir, "accounting-service.sqlite"), { readonly: true });
    try {
      for (const { id, scenario } of placed) {
        const saga = sagas.get(id)!;
        expect(saga.status, `saga ${id}`).toBe(scenario.end);
        const history = saga.history!;
        // Each transition once, in order; the only other entries are notes of a resend or a retry.
        expect(
          history.filter((entry) => entry.detail === undefined).map((entry) => entry.status),
          `saga ${id}`,
        ).toEqual(scenario.statuses);
        // Each deadline acted on once: a command's resends are numbered 2, 3, ... without a repeat or a gap.
        const resends = new Map<string, number[]>();
        for (const { detail } of history) {
          const note = detail as { deadline?: string; resent?: string; attempt?: number } | undefined;
          if (note?.deadline === "passed")
            resends.set(note.resent!, [...(resends.get(note.resent!) ?? []), note.attempt!]);
        }
        for (const [operation, attempts] of resends)
          expect(attempts, `saga ${id} ${operation}`).toEqual(attempts.map((_, index) => index + 2));

        // The participants' effects, once each.
        const tickets = restaurant.prepare("SELECT id, state FROM tickets WHERE order_id = ?").all(id);
        expect(
          tickets.map((t) => (t as { state: string }).state),
          `saga ${id} tickets`,
        ).toEqual(scenario.ticket ? [scenario.ticket] : []);
        const authorizations = accounting
          .prepare("SELECT transaction_id FROM card_authorizations WHERE correlation_id = ?")
          .all(String(id)) as { transaction_id: number }[];
        expect(authorizations.length, `saga ${id} authorizations`).toBe(scenario.authorized ? 1 : 0);
        const order = (await (await fetch(`${instances[0]!.service.url}/orders/${id}`)).json()) as {
          transaction_id: number | null;
        };
        expect(order.transaction_id).toBe(authorizations[0]?.transaction_id ?? null);
      }
    } finally {
      restaurant.close();
      accounting.close();
    }

    // Both instances took part, no outbox row went out through both relays, and no race was reported as a failure.
    const [a, b] = instances as [Instance, Instance];
    expect(a.published.length).toBeGreaterThan(0);
    expect(b.published.length).toBeGreaterThan(0);
    expect(a.published.filter((messageId) => b.published.includes(messageId))).toEqual([]);
    for (const instance of instances)
      expect(instance.logs.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([]);
    const conflicts = instances.flatMap((instance) =>
      instance.logs.filter((line) => line.msg.startsWith("concurrent update")),
    ).length;
    const resent = [...sagas.values()].flatMap((saga) =>
      saga.history!.filter((h) => h.detail !== undefined),
    ).length;
    console.info(`two instances: ${conflicts} concurrent updates retried, ${resent} resend/retry notes`);
  }, 120_000);
});
