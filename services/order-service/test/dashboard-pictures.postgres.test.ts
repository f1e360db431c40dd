import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService } from "@saga/restaurant-service";
import { createInProcessTransport } from "@asyncgen/runtime";
import type { SagaSequence } from "../src/create-order-saga/message-sequence.js";
import type { SagaActivity } from "../src/create-order-saga/saga-activity.js";
import { DEMO_SCENARIOS } from "../src/http/demo-scenarios.js";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { createTestDatabase } from "../testing/postgres.js";

/**
 * What the dashboard draws, from the store on both databases: a saga's commands and replies in order
 * (`GET /sagas/:id/messages`) and the charts' numbers (`GET /stats/activity`), after real sagas ran through the
 * four services.
 */
const arrows = (sequence: SagaSequence) =>
  sequence.messages.map((m) => `${m.from} -> ${m.to}: ${m.type} (${m.status})`);

/** The demo scenarios' sagas as the diagram shows them. */
const EXPECTED: Record<string, string[]> = {
  success: [
    "order_service -> consumer_service: consumer_service.verify_consumer_details (sent)",
    "consumer_service -> order_service: consumer_service.verify_consumer_details.response.success (success)",
    "order_service -> restaurant_service: restaurant_service.create_ticket (sent)",
    "restaurant_service -> order_service: restaurant_service.create_ticket.response.success (success)",
    "order_service -> accounting_service: accounting_service.authorize_card (sent)",
    "accounting_service -> order_service: accounting_service.authorize_card.response.success (success)",
    "order_service -> restaurant_service: restaurant_service.approve_ticket (sent)",
    "restaurant_service -> order_service: restaurant_service.approve_ticket.response.success (success)",
  ],
  "card-authorization-fails": [
    "order_service -> consumer_service: consumer_service.verify_consumer_details (sent)",
    "consumer_service -> order_service: consumer_service.verify_consumer_details.response.success (success)",
    "order_service -> restaurant_service: restaurant_service.create_ticket (sent)",
    "restaurant_service -> order_service: restaurant_service.create_ticket.response.success (success)",
    "order_service -> accounting_service: accounting_service.authorize_card (sent)",
    "accounting_service -> order_service: accounting_service.authorize_card.response.failure (failure)",
    "order_service -> restaurant_service: restaurant_service.reject_ticket (sent)",
    "restaurant_service -> order_service: restaurant_service.reject_ticket.response.success (success)",
  ],
  "consumer-verification-fails": [
    "order_service -> consumer_service: consumer_service.verify_consumer_details (sent)",
    "consumer_service -> order_service: consumer_service.verify_consumer_details.response.failure (failure)",
  ],
  // The orchestrator's own fault happens before create_ticket is sent: nothing after the first reply.
  "orchestrator-fails": [
    "order_service -> consumer_service: consumer_service.verify_consumer_details (sent)",
    "consumer_service -> order_service: consumer_service.verify_consumer_details.response.success (success)",
  ],
};

describe.each(["sqlite", "postgres"] as const)("dashboard pictures on %s", (kind) => {
  let orders: RunningOrderService;
  const stops: (() => Promise<void>)[] = [];
  const sagas = new Map<string, number>();

  beforeAll(async () => {
    const logger = pino({ level: "silent" });
    const transport = createInProcessTransport();
    const data = path.join(tmpdir(), `dashboard-pictures-${kind}-${process.pid}`);
    for (const start of [startConsumerService, startAccountingService]) {
      const service = await start({
        transport,
        logger,
        databaseFile: path.join(data, `${start.name}.sqlite`),
      });
      stops.push(() => service.stop());
    }
    const restaurant = await startRestaurantService({
      transport,
      logger,
      databaseFile: path.join(data, "restaurant.sqlite"),
      approveTicketFailureRate: 0,
    });
    stops.push(() => restaurant.stop());
    if (kind === "postgres") {
      const db = await createTestDatabase("dashboard_pictures");
      stops.push(db.drop);
      orders = await startOrderService({ transport, logger, databaseUrl: db.url, port: 0 });
    } else {
      orders = await startOrderService({ transport, logger, databaseFile: ":memory:", port: 0 });
    }
    stops.push(() => orders.stop());
    for (const scenario of Object.keys(EXPECTED)) {
      const response = await fetch(`${orders.url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(DEMO_SCENARIOS[scenario]!.order()),
      });
      sagas.set(scenario, ((await response.json()) as { saga_id: number }).saga_id);
    }
    const deadline = Date.now() + 20_000;
    for (const id of sagas.values()) {
      for (;;) {
        const saga = (await (await fetch(`${orders.url}/sagas/${id}`)).json()) as { status: string };
        if (saga.status === "succeeded" || saga.status === "failed") break;
        if (Date.now() > deadline) throw new Error(`saga ${id} still ${saga.status}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }, 60_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it.each(Object.keys(EXPECTED))("draws the %s saga's commands and replies in order", async (scenario) => {
    const response = await fetch(`${orders.url}/sagas/${sagas.get(scenario)}/messages`);
    expect(response.status).toBe(200);
    const sequence = (await response.json()) as SagaSequence;
    expect(sequence.services).toEqual([
      "order_service",
      "consumer_service",
      "restaurant_service",
      "accounting_service",
    ]);
    expect(sequence.status).toBe(scenario === "success" ? "succeeded" : "failed");
    expect(arrows(sequence)).toEqual(EXPECTED[scenario]);
    const times = sequence.messages.map((m) => m.at);
    expect([...times].sort()).toEqual(times);
  });

  it("answers 404 in the app's error shape for an unknown saga, 400 for a bad id", async () => {
    const missing = await fetch(`${orders.url}/sagas/999999/messages`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: "HTTP_NOT_FOUND", error: "saga 999999 not found" });
    const bad = await fetch(`${orders.url}/sagas/abc/messages`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "HTTP_INVALID_REQUEST" });
  });

  it("counts the sagas started and finished, and times each remote step", async () => {
    const response = await fetch(`${orders.url}/stats/activity?minutes=1`);
    expect(response.status).toBe(200);
    const activity = (await response.json()) as SagaActivity;
    expect(activity.bucket_seconds).toBe(1);
    expect(activity.throughput).toHaveLength(60);
    const total = (field: "started" | "succeeded" | "failed") =>
      activity.throughput.reduce((sum, bucket) => sum + bucket[field], 0);
    expect([total("started"), total("succeeded"), total("failed")]).toEqual([4, 1, 3]);
    expect(Date.parse(activity.until) - Date.parse(activity.since)).toBe(60_000);
    // Four sagas asked the consumer; two got a ticket; the card saga's ticket was rejected.
    expect(activity.steps.map((s) => [s.step, s.phase, s.samples])).toEqual([
      ["verify_consumer_details", "action", 4],
      ["create_restaurant_ticket", "action", 3],
      ["create_restaurant_ticket", "compensation", 1],
      ["authorize_card", "action", 2],
      ["approve_restaurant_ticket", "action", 1],
    ]);
    for (const step of activity.steps) {
      expect(step.p50_ms).toBeGreaterThanOrEqual(0);
      expect(step.p99_ms).toBeGreaterThanOrEqual(step.p50_ms);
    }
  });

  it("refuses a window it does not keep, in the app's error shape", async () => {
    for (const minutes of ["0", "61", "five"]) {
      const response = await fetch(`${orders.url}/stats/activity?minutes=${minutes}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "HTTP_INVALID_REQUEST" });
    }
  });
});
