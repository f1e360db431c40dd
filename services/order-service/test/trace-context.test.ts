import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService } from "@saga/restaurant-service";
import { createInProcessTransport, parseTraceparent, type OutgoingMessage } from "@asyncgen/runtime";
import { createLogger, wrapTransport } from "@saga/service-kit";
import { startOrderService, type RunningOrderService } from "../src/service.js";

/**
 * One saga followed across the four services by its W3C trace id: every message published for it carries a
 * `traceparent` of one trace, and every service's log lines about it name that trace.
 */
describe("trace context across the saga's messages and logs", () => {
  const published: OutgoingMessage[] = [];
  const logs: Record<string, Record<string, unknown>[]> = {};
  const stops: (() => Promise<void>)[] = [];
  const inner = createInProcessTransport();
  const transport = wrapTransport(inner, {
    async publish(message) {
      await inner.publish(message);
      published.push(message);
    },
  });
  let orders: RunningOrderService;
  const loggerFor = (service: string) => {
    const lines: Record<string, unknown>[] = (logs[service] = []);
    return createLogger(service, "debug", {}, { write: (line: string) => void lines.push(JSON.parse(line)) });
  };

  beforeAll(async () => {
    const data = path.join(tmpdir(), `trace-${process.pid}-${Date.now()}`);
    for (const [name, start] of [
      ["consumer-service", startConsumerService],
      ["restaurant-service", startRestaurantService],
      ["accounting-service", startAccountingService],
    ] as const) {
      const service = await start({
        transport,
        logger: loggerFor(name),
        databaseFile: path.join(data, `${name}.sqlite`),
        approveTicketFailureRate: 0.5, // one transient failure logged (draw 0), then...
        random: (() => {
          let calls = 0;
          return () => (calls++ === 0 ? 0 : 0.99); // ...the retry goes through
        })(),
        retryDelayMs: () => 5,
      });
      stops.push(() => service.stop());
    }
    orders = await startOrderService({
      transport,
      logger: loggerFor("order-service"),
      databaseFile: ":memory:",
      port: 0,
    });
    stops.push(() => orders.stop());
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await inner.close();
  });

  it("carries one trace id through every message of a saga and every service's log lines", async () => {
    const { saga_id } = (await fetch(`${orders.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        consumer_id: 70,
        card_id: 1,
        price: 20,
        items: [{ name: "Dish 1", quantity: 1 }],
      }),
    }).then((r) => r.json())) as { saga_id: number };
    const end = Date.now() + 15_000;
    for (;;) {
      const { status } = (await fetch(`${orders.url}/sagas/${saga_id}`).then((r) => r.json())) as {
        status: string;
      };
      if (status === "succeeded") break;
      if (Date.now() > end) throw new Error(`saga stuck in ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    const ofSaga = published.filter((m) => m.properties.correlationId === String(saga_id));
    // Four commands and their replies (the approve one answered after its transient failure).
    expect(ofSaga.map((m) => m.properties.type)).toEqual(
      expect.arrayContaining([
        "consumer_service.verify_consumer_details",
        "consumer_service.verify_consumer_details.response.success",
        "restaurant_service.create_ticket",
        "restaurant_service.create_ticket.response.success",
        "accounting_service.authorize_card",
        "accounting_service.authorize_card.response.success",
        "restaurant_service.approve_ticket",
        "restaurant_service.approve_ticket.response.success",
      ]),
    );
    const traces = ofSaga.map((m) => parseTraceparent(m.properties.headers.traceparent));
    expect(traces.every((t) => t !== undefined)).toBe(true);
    const traceId = traces[0]!.traceId;
    expect(new Set(traces.map((t) => t!.traceId))).toEqual(new Set([traceId]));
    expect(new Set(traces.map((t) => t!.spanId)).size).toBe(traces.length); // one hop per message

    for (const service of ["order-service", "consumer-service", "restaurant-service", "accounting-service"]) {
      const about = logs[service]!.filter((line) => line.trace_id === traceId);
      expect(about.length, `${service} log lines naming the trace`).toBeGreaterThan(0);
    }
    // The designed transient failure is one of them.
    expect(logs["restaurant-service"]!.find((l) => String(l.msg).includes("transiently"))).toMatchObject({
      trace_id: traceId,
    });
    // No line about this saga lacks the trace (lines name the saga by correlationId or saga).
    const aboutSaga = Object.values(logs)
      .flat()
      .filter((line) => line.correlationId === String(saga_id) || line.saga === saga_id);
    expect(aboutSaga.length).toBeGreaterThan(0);
    expect(aboutSaga.filter((line) => line.trace_id !== traceId)).toEqual([]);
  });
});
