import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService } from "@saga/restaurant-service";
import { connectAmqp, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { meteredTransport, ServiceMetrics, serveMetrics } from "@saga/service-kit";
import { startOrderService, type RunningOrderService } from "../src/service.js";

/**
 * GET /metrics of every service, parsed, against what the test drove on RabbitMQ: two orders that succeed, one
 * whose card is declined, a malformed reply (dead-lettered) and a reply for a saga that does not exist (ignored).
 */
describe("Prometheus metrics of the four services", () => {
  const vhost = createTestVhost("metrics");
  const logger = pino({ level: "silent" });
  const transports: Transport[] = [];
  const stops: (() => Promise<void>)[] = [];
  const urls: Record<string, string> = {};
  let orders: RunningOrderService;

  beforeAll(async () => {
    const data = path.join(tmpdir(), `metrics-${process.pid}-${Date.now()}`);
    const participants = [
      ["consumer-service", startConsumerService],
      ["restaurant-service", startRestaurantService],
      ["accounting-service", startAccountingService],
    ] as const;
    for (const [name, start] of participants) {
      const transport = await connectAmqp(vhost.url);
      transports.push(transport);
      const metrics = new ServiceMetrics(name);
      const service = await start({
        transport: meteredTransport(transport, metrics),
        logger,
        databaseFile: path.join(data, `${name}.sqlite`),
        metrics,
        approveTicketFailureRate: 0,
      });
      const server = await serveMetrics(metrics, 0);
      urls[name] = server.url;
      stops.push(
        () => server.close(),
        () => service.stop(),
      );
    }
    const transport = await connectAmqp(vhost.url);
    transports.push(transport);
    orders = await startOrderService({ transport, logger, databaseFile: ":memory:", port: 0 });
    urls["order-service"] = `${orders.url}/metrics`;
    stops.push(() => orders.stop());
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    for (const transport of transports) await transport.close();
    vhost.remove();
  });

  /** `name{labels} value` lines of the text exposition, as [name, labels, value]. */
  async function scrape(service: string): Promise<[string, Record<string, string>, number][]> {
    const response = await fetch(urls[service]!);
    expect(response.headers.get("content-type")).toContain("text/plain");
    return (await response.text())
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!match) throw new Error(`not a sample line: ${line}`);
        const labels = Object.fromEntries(
          [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
        );
        return [match[1]!, labels, Number(match[3])];
      });
  }
  /** The sum of a metric's samples whose labels include `where`. */
  const value = (
    samples: [string, Record<string, string>, number][],
    name: string,
    where: Record<string, string> = {},
  ) =>
    samples
      .filter(([n, labels]) => n === name && Object.entries(where).every(([k, v]) => labels[k] === v))
      .reduce((sum, [, , v]) => sum + v, 0);

  const post = async (order: object) =>
    (await fetch(`${orders.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(order),
    }).then((r) => r.json())) as { saga_id: number };

  const statusOf = async (id: number) =>
    ((await fetch(`${orders.url}/sagas/${id}`).then((r) => r.json())) as { status: string }).status;

  it("counts what was consumed, published, dead-lettered and ignored, and the sagas by outcome", async () => {
    const items = [{ name: "Dish 1", quantity: 2 }];
    const ids = [
      (await post({ consumer_id: 70, card_id: 1, price: 20, items })).saga_id,
      (await post({ consumer_id: 71, card_id: 2, price: 30, items })).saga_id,
      (await post({ consumer_id: 70, card_id: 3, price: 80, items })).saga_id, // the card is declined
    ];
    const end = Date.now() + 20_000;
    while ((await Promise.all(ids.map(statusOf))).some((s) => s !== "succeeded" && s !== "failed")) {
      if (Date.now() > end) throw new Error("sagas did not end");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const reply = (body: string, correlationId: string) =>
      transports[3]!.publish({
        exchange: "",
        routingKey: "create_order_saga_responses",
        body: Buffer.from(body),
        properties: {
          messageId: `metrics-test-${correlationId}`,
          type: "restaurant_service.create_ticket.response.success",
          correlationId,
          timestamp: Math.floor(Date.now() / 1000),
          contentType: "application/json",
          headers: { contract_version: "1.0.0" },
        },
      });
    await reply("{malformed", "1");
    await reply(JSON.stringify({ ticket_id: 5 }), "424242");
    await new Promise((resolve) => setTimeout(resolve, 500));

    const order = await scrape("order-service");
    const saga = { saga: "create_order_saga" };
    expect(value(order, "saga_sagas_started_total", saga)).toBe(3);
    expect(value(order, "saga_sagas_finished_total", { ...saga, outcome: "succeeded" })).toBe(2);
    expect(value(order, "saga_sagas_finished_total", { ...saga, outcome: "failed" })).toBe(1);
    expect(value(order, "saga_saga_duration_seconds_count", saga)).toBe(3);
    const verify = { queue: "consumer_service.commands", type: "consumer_service.verify_consumer_details" };
    expect(value(order, "saga_messages_published_total", verify)).toBe(3);
    expect(value(order, "saga_messages_published_total", { queue: "accounting_service.commands" })).toBe(3);
    expect(
      value(order, "saga_messages_dead_lettered_total", {
        queue: "create_order_saga_responses",
        code: "MSG_MALFORMED_JSON",
      }),
    ).toBe(1);
    expect(value(order, "saga_replies_ignored_total", { reason: "unknown_saga" })).toBe(1);
    // Every reply of the three sagas plus the two injected ones was delivered to the order service.
    const consumedReplies = value(order, "saga_messages_consumed_total", {
      queue: "create_order_saga_responses",
    });
    expect(consumedReplies).toBe(value(order, "saga_handler_duration_seconds_count"));
    expect(value(order, "saga_commit_duration_seconds_count")).toBeGreaterThanOrEqual(3);
    expect(value(order, "saga_outbox_backlog")).toBe(0);
    expect(value(order, "saga_broker_connected")).toBe(1);
    expect(order.every(([, labels]) => labels.service === "order-service")).toBe(true);

    const consumer = await scrape("consumer-service");
    expect(value(consumer, "saga_messages_consumed_total", verify)).toBe(3);
    expect(
      value(consumer, "saga_messages_published_total", {
        queue: "create_order_saga_responses",
        type: "consumer_service.verify_consumer_details.response.success",
      }),
    ).toBe(3);
    const accounting = await scrape("accounting-service");
    expect(
      value(accounting, "saga_messages_published_total", {
        type: "accounting_service.authorize_card.response.failure",
      }),
    ).toBe(1);
    expect(value(accounting, "saga_commit_duration_seconds_count")).toBe(3);
    const restaurant = await scrape("restaurant-service");
    expect(
      value(restaurant, "saga_messages_consumed_total", { type: "restaurant_service.approve_ticket" }),
    ).toBe(2);
    expect(
      value(restaurant, "saga_messages_consumed_total", { type: "restaurant_service.reject_ticket" }),
    ).toBe(1);
    expect(value(restaurant, "saga_outbox_backlog")).toBe(0);
  });
});
