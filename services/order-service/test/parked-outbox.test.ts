import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTransport, type InProcessTransport } from "@asyncgen/runtime";
import type { ParkedMessage } from "@asyncgen/saga";
import { startOrderService, type RunningOrderService } from "../src/service.js";

/**
 * Outbox rows the broker kept refusing (parked by the relay, proven in generator/saga/test/orchestrator.test.ts and
 * services/service-kit/test/participant.test.ts) are what an operator must see: GET /stats lists the order service's
 * own and those of the services it is given (npm start's participants), each with its service; /metrics counts its own.
 */
describe("parked outbox rows on the dashboard's /stats and on /metrics", () => {
  let transport: InProcessTransport;
  let orders: RunningOrderService;
  const restaurantRow: ParkedMessage = {
    id: 7,
    message_id: "m-7.reply",
    type: "restaurant_service.create_ticket.response.success",
    routing_key: "create_order_saga_responses",
    parked_at: "2026-12-02T08:00:00.000Z",
    park_reason: "AMQP_UNROUTABLE: no queue (refused 12 times)",
  };

  beforeAll(async () => {
    transport = createInProcessTransport();
    orders = await startOrderService({
      transport,
      logger: pino({ level: "silent" }),
      databaseFile: ":memory:",
      port: 0,
      parkedElsewhere: [{ service: "restaurant-service", parked: async () => [restaurantRow] }],
    });
    // A command the relay parked, as it leaves it: unsent, with the time and the reason.
    await orders.store.all(
      `INSERT INTO outbox (message_id, exchange, routing_key, type, timestamp, headers, body, created_at, parked_at,
         park_reason) VALUES (?, '', 'consumer_service.commands', 'consumer_service.verify_consumer_details', 0, '{}',
         ?, ?, ?, 'AMQP_NACKED: refused (refused 12 times)') RETURNING id`,
      [randomUUID(), Buffer.from("{}"), new Date().toISOString(), new Date().toISOString()],
    );
  });
  afterAll(async () => {
    await orders?.stop();
    await transport?.close();
  });

  it("lists every service's parked rows with the service they wait in", async () => {
    const stats = (await (await fetch(`${orders.url}/stats`)).json()) as {
      outbox_parked: (ParkedMessage & { service: string })[];
    };
    expect(
      stats.outbox_parked.map(({ service, type, park_reason }) => ({ service, type, park_reason })),
    ).toEqual([
      {
        service: "order-service",
        type: "consumer_service.verify_consumer_details",
        park_reason: "AMQP_NACKED: refused (refused 12 times)",
      },
      { service: "restaurant-service", type: restaurantRow.type, park_reason: restaurantRow.park_reason },
    ]);
  });

  it("counts its own parked rows in saga_outbox_parked", async () => {
    const text = await (await fetch(`${orders.url}/metrics`)).text();
    expect(text).toMatch(/^saga_outbox_parked\{service="order-service"\} 1$/m);
  });
});
