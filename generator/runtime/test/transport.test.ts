import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectAmqp,
  createInProcessTransport,
  failure,
  send,
  serve,
  success,
  type Delivery,
  type MessageContext,
  type QueueSpec,
  type ServiceSpec,
  type Transport,
} from "../src/index.js";
import { AMQP_URL, collectDeliveries, deleteQueues, runPrefix, sleep, until } from "./broker.js";
import { Add, Note, Refused, Square, Squared, Sum } from "./fixtures.js";

/** One behavioural suite, run on RabbitMQ and on the in-process transport: both must behave the same. */
const transports: [string, () => Promise<Transport>][] = [
  ["in-process", async () => createInProcessTransport()],
  ["amqp", () => connectAmqp(AMQP_URL, { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })],
];

describe.each(transports)("runtime on %s", (kind, open) => {
  const prefix = runPrefix(kind);
  const declared = new Set<string>();
  const serving: { close(): Promise<void> }[] = [];
  let transport: Transport;
  let counter = 0;

  beforeAll(async () => {
    transport = await open();
  });
  afterAll(async () => {
    for (const server of serving) await server.close();
    await transport?.close();
    if (kind === "amqp") await deleteQueues(declared);
  });

  /** A fresh queue name for one test (and its replies), remembered for the clean-up. */
  const fresh = (label: string): string => {
    const name = `${prefix}.${label}.${++counter}`;
    declared.add(name);
    return name;
  };

  const quorum = (name: string, limit = 5): QueueSpec => ({
    name,
    durable: true,
    arguments: { "x-queue-type": "quorum", "x-delivery-limit": limit },
  });

  const calc = (queue: QueueSpec): ServiceSpec => ({
    service: "calc",
    contractVersion: "1.0.0",
    queue,
    operations: [
      { operationId: "add", message: Add, replies: { success: Sum, failure: Refused } },
      { operationId: "square", message: Square, replies: { success: Squared } },
      { operationId: "note", message: Note },
    ],
  });

  const start = async (...args: Parameters<typeof serve>): Promise<void> => {
    serving.push(await serve(...args));
  };

  /** Declares a queue and collects (and acks) what arrives on it. */
  async function collect(name: string, declare = true): Promise<Delivery[]> {
    const { seen, close } = await collectDeliveries(transport, name, declare);
    serving.push({ close });
    return seen;
  }

  /** Publishes bytes straight to a queue, bypassing send()'s validation. */
  const raw = (queue: string, type: string, body: string, extra: Record<string, unknown> = {}) =>
    transport.publish({
      exchange: "",
      routingKey: queue,
      body: Buffer.from(body),
      properties: {
        messageId: randomUUID(),
        type,
        timestamp: Math.floor(Date.now() / 1000),
        contentType: "application/json",
        headers: { contract_version: "1.0.0" },
        ...extra,
      },
    });

  const toQueue = (routingKey: string) => ({ exchange: "", routingKey });
  const body = (d: Delivery): unknown => JSON.parse(d.body.toString("utf8"));

  it("round-trips a message with its properties through a queue", async () => {
    const queue = fresh("roundtrip");
    const got = await collect(queue);
    const { messageId } = await send(transport, toQueue(queue), Note, { n: 42 }, "2.1.0", {
      correlationId: "saga-1",
      replyTo: "somewhere",
      headers: { tenant: "t1" },
    });
    await until(() => got.length === 1, "the message");
    const [d] = got;
    expect(body(d!)).toEqual({ n: 42 });
    expect(d!.deliveryCount).toBe(1);
    expect(d!.properties).toMatchObject({
      messageId,
      type: "calc.note",
      correlationId: "saga-1",
      replyTo: "somewhere",
      contentType: "application/json",
      headers: { contract_version: "2.1.0", tenant: "t1" },
    });
    expect(Math.abs(d!.properties.timestamp - Date.now() / 1000)).toBeLessThan(5);
  });

  it("throws MSG_INVALID_PAYLOAD before anything touches the wire", async () => {
    const queue = fresh("invalid-send");
    await transport.declareQueue({ name: queue, durable: true, arguments: {} });
    const sending = send(transport, toQueue(queue), Add, { a: 1, b: "2" } as never, "1.0.0", {
      correlationId: "x",
    });
    await expect(sending).rejects.toMatchObject({
      code: "MSG_INVALID_PAYLOAD",
      messageName: "calc.add",
      message: "calc.add: /b must be integer",
    });
    await send(transport, toQueue(queue), Note, { n: 1 }, "1.0.0", { correlationId: "x" });
    await until(async () => (await transport.queueDepth(queue)) === 1, "the valid message");
    await sleep(100);
    expect(await transport.queueDepth(queue)).toBe(1); // only the valid one ever arrived
  });

  it("rejects invalid headers with MSG_INVALID_HEADERS", async () => {
    const queue = fresh("invalid-headers");
    await transport.declareQueue({ name: queue, durable: true, arguments: {} });
    const sending = send(transport, toQueue(queue), Add, { a: 1, b: 2 }, "1.0.0", {
      correlationId: "x",
      headers: { contract_version: 7 },
    });
    await expect(sending).rejects.toMatchObject({ code: "MSG_INVALID_HEADERS" });
    expect(await transport.queueDepth(queue)).toBe(0);
  });

  it("rejects an unroutable publish with AMQP_UNROUTABLE, and keeps publishing afterwards", async () => {
    const queue = fresh("after-unroutable");
    const got = await collect(queue);
    const nowhere = send(transport, toQueue(`${prefix}.nowhere`), Note, { n: 1 }, "1.0.0", {
      correlationId: "x",
    });
    await expect(nowhere).rejects.toMatchObject({ code: "AMQP_UNROUTABLE" });
    const noExchange = send(
      transport,
      { exchange: `${prefix}.no-such-exchange`, routingKey: queue },
      Note,
      { n: 2 },
      "1.0.0",
      { correlationId: "x" },
    );
    await expect(noExchange).rejects.toMatchObject({ code: "AMQP_UNROUTABLE" });
    await send(transport, toQueue(queue), Note, { n: 3 }, "1.0.0", { correlationId: "x" });
    await until(() => got.length === 1, "the message after the unroutable ones");
    expect(body(got[0]!)).toEqual({ n: 3 });
  });

  it("answers commands with success or failure replies, correlated, each to its reply_to", async () => {
    const queue = fresh("calc");
    const [repliesA, repliesB] = [fresh("replies-a"), fresh("replies-b")];
    const gotA = await collect(repliesA);
    const gotB = await collect(repliesB);
    const seen: MessageContext[] = [];
    await start(transport, calc(quorum(queue)), {
      add: async ({ a, b }: { a: number; b: number }, ctx: MessageContext) => {
        seen.push(ctx);
        return a + b < 100 ? success({ sum: a + b }) : failure({ reason: a + b });
      },
      square: async () => success({ n: 0 }),
      note: async () => {},
    });
    const ok = await send(transport, toQueue(queue), Add, { a: 2, b: 3 }, "1.0.0", {
      correlationId: "saga-ok",
      replyTo: repliesA,
    });
    await send(transport, toQueue(queue), Add, { a: 60, b: 50 }, "1.0.0", {
      correlationId: "saga-refused",
      replyTo: repliesB,
    });
    await until(() => gotA.length === 1 && gotB.length === 1, "both replies");
    const [yes, no] = [gotA[0]!, gotB[0]!];
    expect(yes.properties).toMatchObject({
      type: "calc.add.response.success",
      correlationId: "saga-ok",
      messageId: `${ok.messageId}.reply`,
      headers: { contract_version: "1.0.0" },
    });
    expect(body(yes)).toEqual({ sum: 5 });
    expect(no.properties).toMatchObject({ type: "calc.add.response.failure", correlationId: "saga-refused" });
    expect(body(no)).toEqual({ reason: 110 });
    expect(seen.map((c) => [c.correlationId, c.type, c.deliveryCount])).toEqual([
      ["saga-ok", "calc.add", 1],
      ["saga-refused", "calc.add", 1],
    ]);
    expect(seen[0]!.messageId).toBe(ok.messageId);
    expect(seen[0]!.headers.contract_version).toBe("1.0.0");
  });

  it("dead-letters malformed, unknown, invalid and reply-less messages; the valid one behind them is handled", async () => {
    const queue = fresh("bad");
    const handled: number[] = [];
    await start(
      transport,
      calc(quorum(queue)),
      {
        add: async () => success({ sum: 0 }),
        square: async () => success({ n: 0 }),
        note: async ({ n }: { n: number }) => void handled.push(n),
      },
      { prefetch: 1 }, // one at a time: a bad message that blocked would stop everything behind it
    );
    const dead = await collect(`${queue}.dlq`, false);
    await raw(queue, "calc.note", "{not json");
    await raw(queue, "calc.multiply", JSON.stringify({ n: 1 }));
    await raw(queue, "calc.note", JSON.stringify({ n: "one" }));
    await raw(queue, "calc.add", JSON.stringify({ a: 1, b: 2 }), { headers: {}, replyTo: queue });
    await raw(queue, "calc.add", JSON.stringify({ a: 1, b: 2 })); // expects a reply but has no reply_to
    await raw(queue, "calc.note", JSON.stringify({ n: 7 }));
    await until(() => dead.length === 5 && handled.length === 1, "5 dead letters and the valid message");
    expect(handled).toEqual([7]);
    const byCode = new Map(dead.map((d) => [d.properties.headers["x-error-code"], d]));
    expect([...byCode.keys()].sort()).toEqual([
      "MSG_INVALID_HEADERS",
      "MSG_INVALID_PAYLOAD",
      "MSG_MALFORMED_JSON",
      "MSG_MISSING_REPLY_TO",
      "MSG_UNKNOWN_TYPE",
    ]);
    const invalid = byCode.get("MSG_INVALID_PAYLOAD")!;
    expect(invalid.properties.headers).toMatchObject({
      "x-error-reason": "/n must be integer",
      "x-original-queue": queue,
      "x-original-type": "calc.note",
    });
    expect(body(invalid)).toEqual({ n: "one" }); // the original body, untouched
    expect(byCode.get("MSG_INVALID_HEADERS")!.properties.headers["x-error-reason"]).toBe(
      "/contract_version must be string",
    );
    expect(byCode.get("MSG_MALFORMED_JSON")!.body.toString()).toBe("{not json");
    expect(String(byCode.get("MSG_UNKNOWN_TYPE")!.properties.headers["x-error-reason"])).toContain(
      "calc.multiply",
    );
    expect(await transport.queueDepth(queue)).toBe(0);
  });

  it.each(["quorum", "classic"])(
    "retries a throwing handler, then dead-letters it at maxAttempts while others flow (%s queue)",
    async (type) => {
      const queue = fresh(`poison-${type}`);
      const events: string[] = [];
      const spec = { name: queue, durable: true, arguments: { "x-queue-type": type } };
      await start(
        transport,
        calc(spec),
        {
          add: async () => success({ sum: 0 }),
          square: async () => success({ n: 0 }),
          note: async ({ n }: { n: number }, ctx: MessageContext) => {
            if (n > 0) return void events.push(`ok ${n}`);
            events.push(`fail ${ctx.deliveryCount}`);
            throw new Error("database unavailable");
          },
        },
        { maxAttempts: 3, retryDelayMs: (attempt) => (attempt === 1 ? 400 : 50) },
      );
      const dead = await collect(`${queue}.dlq`, false);
      await send(transport, toQueue(queue), Note, { n: 0 }, "1.0.0", { correlationId: "poison" });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          send(transport, toQueue(queue), Note, { n: i + 1 }, "1.0.0", { correlationId: "ok" }),
        ),
      );
      await until(() => dead.length === 1, "the dead letter");
      expect(events.filter((e) => e.startsWith("fail"))).toEqual(["fail 1", "fail 2", "fail 3"]);
      // The others were all handled while the poison message waited for its second attempt.
      expect(events.indexOf("fail 2")).toBeGreaterThan(
        Math.max(...events.flatMap((e, i) => (e.startsWith("ok") ? [i] : []))),
      );
      expect(events.filter((e) => e.startsWith("ok"))).toHaveLength(20);
      expect(dead[0]!.properties.headers).toMatchObject({
        "x-error-code": "HANDLER_FAILED",
        "x-error-reason": "database unavailable (after 3 attempts)",
        "x-original-delivery-count": 3,
      });
      await sleep(100);
      expect(await transport.queueDepth(queue)).toBe(0);
    },
  );

  it("treats an invalid reply, or an undeclared failure reply, as a technical error", async () => {
    const queue = fresh("bad-reply");
    const replies = fresh("bad-reply-replies");
    const got = await collect(replies);
    await start(
      transport,
      calc(quorum(queue)),
      {
        add: async () => success({ sum: "five" }),
        square: async () => failure({ why: "no" }),
        note: async () => {},
      },
      { maxAttempts: 2, retryDelayMs: () => 10 },
    );
    const dead = await collect(`${queue}.dlq`, false);
    await send(transport, toQueue(queue), Add, { a: 1, b: 2 }, "1.0.0", {
      correlationId: "c",
      replyTo: replies,
    });
    await send(transport, toQueue(queue), Square, { n: 3 }, "1.0.0", {
      correlationId: "c",
      replyTo: replies,
    });
    await until(() => dead.length === 2, "both commands dead-lettered");
    const reasons = dead.map((d) => String(d.properties.headers["x-error-reason"])).sort();
    expect(reasons[0]).toContain("calc.add.response.success: /sum must be integer");
    expect(reasons[1]).toContain("square returned failure(...) but the contract declares no failure reply");
    expect(got).toHaveLength(0);
  });

  it("lets the queue's x-delivery-limit dead-letter a message that keeps coming back", async () => {
    const queue = fresh("limit");
    await transport.declareQueue(quorum(queue, 2));
    const counts: number[] = [];
    const subscription = await transport.consume(
      queue,
      async (d) => {
        counts.push(d.deliveryCount);
        d.nack(true);
      },
      { prefetch: 1 },
    );
    serving.push({ close: () => subscription.cancel() });
    const dead = await collect(`${queue}.dlq`, false);
    const { messageId } = await send(transport, toQueue(queue), Note, { n: 1 }, "1.0.0", {
      correlationId: "c",
    });
    await until(() => dead.length === 1, "the broker's dead letter");
    expect(counts).toEqual([1, 2, 3]);
    expect(dead[0]!.properties.messageId).toBe(messageId);
  });

  it("never has more unacknowledged deliveries than the prefetch", async () => {
    const queue = fresh("prefetch");
    await transport.declareQueue({ name: queue, durable: true, arguments: {} });
    const held: Delivery[] = [];
    let release = false;
    const subscription = await transport.consume(
      queue,
      async (d) => void (release ? d.ack() : held.push(d)),
      {
        prefetch: 3,
      },
    );
    serving.push({ close: () => subscription.cancel() });
    for (let n = 0; n < 10; n++) {
      await send(transport, toQueue(queue), Note, { n }, "1.0.0", { correlationId: "c" });
    }
    await until(() => held.length === 3, "three deliveries");
    await sleep(150);
    expect(held).toHaveLength(3);
    held.splice(0).forEach((d) => d.ack());
    await until(() => held.length === 3, "the next three");
    release = true;
    held.forEach((d) => d.ack());
    await until(async () => (await transport.queueDepth(queue)) === 0, "the rest consumed");
  });

  it("dedups a message id already handled", async () => {
    const queue = fresh("dedup");
    const handled: number[] = [];
    await start(transport, calc(quorum(queue)), {
      add: async () => success({ sum: 0 }),
      square: async () => success({ n: 0 }),
      note: async ({ n }: { n: number }) => void handled.push(n),
    });
    const options = { correlationId: "c", messageId: `dup-${randomUUID()}` };
    await send(transport, toQueue(queue), Note, { n: 1 }, "1.0.0", options);
    await send(transport, toQueue(queue), Note, { n: 1 }, "1.0.0", options);
    await send(transport, toQueue(queue), Note, { n: 2 }, "1.0.0", { correlationId: "c" });
    await until(() => handled.includes(2), "the last message");
    await sleep(100);
    expect(handled.sort()).toEqual([1, 2]);
    expect(await transport.queueDepth(queue)).toBe(0);
  });

  it("rejects TRANSPORT_CLOSED once closed", async () => {
    const other = await open();
    const queue = fresh("closed");
    await other.declareQueue({ name: queue, durable: true, arguments: {} });
    await other.close();
    expect(other.isConnected()).toBe(false);
    await expect(
      send(other, toQueue(queue), Note, { n: 1 }, "1.0.0", { correlationId: "c" }),
    ).rejects.toMatchObject({
      code: "TRANSPORT_CLOSED",
    });
  });
});
