import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createInProcessTransport,
  failure,
  parseTraceparent,
  send,
  serve,
  success,
  useOpenTelemetry,
  type Delivery,
  type ServiceSpec,
} from "../src/index.js";
import { until } from "./broker.js";
import { Add, Refused, Sum } from "./fixtures.js";

/**
 * The OpenTelemetry spans of sent and handled messages, with an in-memory SDK registered: producer and consumer spans
 * with the messaging attributes, one trace whose ids are the traceparent's, failures marked; and none at all when
 * the API is switched off, while our own trace context still travels.
 */
describe("OpenTelemetry spans of messages", () => {
  const exporter = new InMemorySpanExporter();
  const spec: ServiceSpec = {
    service: "calc",
    contractVersion: "1.0.0",
    queue: { name: "calc.commands", durable: true, arguments: {} },
    operations: [{ operationId: "add", message: Add, replies: { success: Sum, failure: Refused } }],
  };
  const route = { exchange: "", routingKey: "calc.commands" };
  const calculator = {
    add: async ({ a, b }: { a: number; b: number }) =>
      a < 0 ? failure({ reason: 1 }) : success({ sum: a + b }),
  };

  beforeAll(() => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });
  afterEach(() => {
    exporter.reset();
    useOpenTelemetry(true);
  });
  afterAll(() => trace.disable());

  /** A calculator served on the in-process transport, and the replies it publishes. */
  async function calc() {
    const transport = createInProcessTransport();
    await transport.declareQueue({ name: "replies", durable: true, arguments: {} });
    const replies: Delivery[] = [];
    await transport.consume(
      "replies",
      async (delivery) => {
        replies.push(delivery);
        delivery.ack();
      },
      { prefetch: 10 },
    );
    await serve(transport, spec, calculator);
    return { transport, replies };
  }

  it("sends a producer span, handles in a consumer span that is its child, and replies in a child of that", async () => {
    const { transport, replies } = await calc();
    const { messageId } = await send(transport, route, Add, { a: 1, b: 2 }, "1.0.0", {
      correlationId: "saga-1",
      replyTo: "replies",
    });
    await until(() => replies.length === 1 && exporter.getFinishedSpans().length === 3, "three spans");
    const [sent, handled, answered] = ["send calc.commands", "process calc.commands", "send replies"].map(
      (name) => exporter.getFinishedSpans().find((span) => span.name === name)!,
    );
    expect(sent!.kind).toBe(SpanKind.PRODUCER);
    expect(sent!.attributes).toMatchObject({
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "send",
      "messaging.destination.name": "calc.commands",
      "messaging.message.id": messageId,
      "messaging.message.conversation_id": "saga-1",
    });
    expect(handled!.kind).toBe(SpanKind.CONSUMER);
    expect(handled!.attributes).toMatchObject({
      "messaging.operation.type": "process",
      "messaging.destination.name": "calc.commands",
      "messaging.message.id": messageId,
    });
    expect(handled!.parentSpanContext?.spanId).toBe(sent!.spanContext().spanId);
    expect(answered!.parentSpanContext?.spanId).toBe(handled!.spanContext().spanId);
    const traceIds = new Set([sent, handled, answered].map((span) => span!.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    // The reply's traceparent names its producer span: OTel's ids and the header's are the same.
    expect(parseTraceparent(replies[0]!.properties.headers.traceparent)).toMatchObject({
      traceId: answered!.spanContext().traceId,
      spanId: answered!.spanContext().spanId,
    });
    await transport.close();
  });

  it("marks the consumer span of a dead-lettered message failed, with its error code", async () => {
    const { transport } = await calc();
    await transport.publish({
      exchange: "",
      routingKey: "calc.commands",
      body: Buffer.from("{not json"),
      properties: {
        messageId: "bad-1",
        type: "calc.add",
        correlationId: "c",
        replyTo: "replies",
        timestamp: 0,
        contentType: "application/json",
        headers: {},
      },
    });
    await until(() => exporter.getFinishedSpans().length === 1, "the consumer span");
    const [span] = exporter.getFinishedSpans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes["error.type"]).toBe("MSG_MALFORMED_JSON");
    // Without a traceparent the delivery starts a trace of its own.
    expect(span!.parentSpanContext).toBeUndefined();
    await transport.close();
  });

  it("records nothing with the API switched off, and the reply still continues the sender's trace", async () => {
    useOpenTelemetry(false);
    const { transport, replies } = await calc();
    const sender = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await send(transport, route, Add, { a: 1, b: 2 }, "1.0.0", {
      correlationId: "saga-2",
      replyTo: "replies",
      headers: { traceparent: sender },
    });
    await until(() => replies.length === 1, "the reply");
    const replied = parseTraceparent(replies[0]!.properties.headers.traceparent)!;
    expect(replied.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(replied.spanId).not.toBe("b7ad6b7169203331");
    expect(exporter.getFinishedSpans()).toEqual([]);
    await transport.close();
  });
});
