import { tmpdir } from "node:os";
import path from "node:path";
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService } from "@saga/restaurant-service";
import { connectAmqp, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { startOrderService, type RunningOrderService } from "../src/service.js";

/**
 * OpenTelemetry across the four services on RabbitMQ: without an SDK a saga runs as before and nothing is recorded;
 * once the test registers an in-memory SDK, one saga's spans in every service share one trace and chain parent to
 * child from its start to its last reply.
 */
describe("OpenTelemetry spans of one saga across the four services", () => {
  const vhost = createTestVhost("tracing");
  const logger = pino({ level: "silent" });
  const exporter = new InMemorySpanExporter();
  const transports: Transport[] = [];
  const stops: (() => Promise<void>)[] = [];
  let orders: RunningOrderService;

  beforeAll(async () => {
    const data = path.join(tmpdir(), `tracing-${process.pid}-${Date.now()}`);
    for (const start of [startConsumerService, startRestaurantService, startAccountingService]) {
      const transport = await connectAmqp(vhost.url);
      transports.push(transport);
      const service = await start({
        transport,
        logger,
        databaseFile: path.join(data, `${start.name}.sqlite`),
        approveTicketFailureRate: 0,
      });
      stops.push(() => service.stop());
    }
    const transport = await connectAmqp(vhost.url);
    transports.push(transport);
    orders = await startOrderService({ transport, logger, databaseFile: ":memory:", port: 0 });
    stops.push(() => orders.stop());
  });
  afterAll(async () => {
    trace.disable();
    for (const stop of stops.reverse()) await stop();
    for (const transport of transports) await transport.close();
    vhost.remove();
  });

  /** Posts an order and waits for its saga to succeed; its id. */
  async function sagaSucceeds(): Promise<number> {
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
    const end = Date.now() + 20_000;
    for (;;) {
      const { status } = (await fetch(`${orders.url}/sagas/${saga_id}`).then((r) => r.json())) as {
        status: string;
      };
      if (status === "succeeded") return saga_id;
      if (Date.now() > end) throw new Error(`saga ${saga_id} stuck in ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("records nothing without an SDK, and the saga still succeeds", async () => {
    await sagaSucceeds();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("with an SDK: one trace per saga, its spans chained from the saga's start through every service", async () => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const sagaId = await sagaSucceeds();
    const conversation = (span: ReadableSpan) => span.attributes["messaging.message.conversation_id"];
    const lastReply = (span: ReadableSpan) =>
      span.name === "process create_order_saga_responses" &&
      span.attributes["asyncgen.message.type"] === "restaurant_service.approve_ticket.response.success";
    const end = Date.now() + 5_000;
    while (!exporter.getFinishedSpans().some((s) => lastReply(s) && conversation(s) === String(sagaId))) {
      if (Date.now() > end) throw new Error("the last reply's span was not recorded");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const ofSaga = exporter.getFinishedSpans().filter((span) => conversation(span) === String(sagaId));
    const traceIds = new Set(ofSaga.map((span) => span.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    const spans = exporter.getFinishedSpans().filter((span) => traceIds.has(span.spanContext().traceId));
    // Every service handled a message of it: the three participants' commands and the order service's replies.
    expect(new Set(spans.filter((s) => s.name.startsWith("process ")).map((s) => s.name))).toEqual(
      new Set([
        "process consumer_service.commands",
        "process restaurant_service.commands",
        "process accounting_service.commands",
        "process create_order_saga_responses",
      ]),
    );
    // One root (the saga's start); every other span's parent is a span of the same trace.
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const roots = spans.filter((span) => !span.parentSpanContext);
    expect(roots.map((span) => span.name)).toEqual(["start create_order_saga"]);
    expect(
      spans.filter((span) => span.parentSpanContext && !byId.has(span.parentSpanContext.spanId)),
    ).toEqual([]);
    // The last reply's ancestry runs through every hop of the saga back to its start.
    const chain: string[] = [];
    for (let span = spans.find(lastReply); span; span = byId.get(span.parentSpanContext?.spanId ?? "")) {
      chain.unshift(span.name);
    }
    expect(chain).toEqual([
      "start create_order_saga",
      "create consumer_service.commands",
      "process consumer_service.commands",
      "create create_order_saga_responses",
      "process create_order_saga_responses",
      "create restaurant_service.commands",
      "process restaurant_service.commands",
      "create create_order_saga_responses",
      "process create_order_saga_responses",
      "create accounting_service.commands",
      "process accounting_service.commands",
      "create create_order_saga_responses",
      "process create_order_saga_responses",
      "create restaurant_service.commands",
      "process restaurant_service.commands",
      "create create_order_saga_responses",
      "process create_order_saga_responses",
    ]);
  });
});
