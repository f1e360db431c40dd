import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectAmqp,
  createInProcessTransport,
  failure,
  send,
  serve,
  success,
  type Delivery,
  type MessageContext,
  type ServiceSpec,
  type Transport,
} from "../src/index.js";
import { closeConnections, createTestVhost } from "../testing/rabbitmq.js";
import { Add, Note, Refused, Sum } from "./fixtures.js";

/** One behavioural suite, run on RabbitMQ (a private vhost) and on the in-process transport. */
let vhost: ReturnType<typeof createTestVhost>;
beforeAll(() => void (vhost = createTestVhost("runtime")));
afterAll(() => vhost?.remove());

const transports: [string, () => Promise<Transport>][] = [
  ["in-process", async () => createInProcessTransport()],
  ["amqp", () => connectAmqp(vhost.url, { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })],
];

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(transports)("runtime on %s", (kind, open) => {
  let transport: Transport;
  let queue: string;
  let replies: string;
  const opened: Transport[] = [];

  const spec = (): ServiceSpec => ({
    service: "calc",
    contractVersion: "1.0.0",
    queue: { name: queue, durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 5 } },
    operations: [
      { operationId: "add", message: Add, replies: { success: Sum, failure: Refused } },
      { operationId: "note", message: Note },
    ],
  });

  /** Collects what arrives on a queue. */
  async function collect(name: string, declare = true): Promise<Delivery[]> {
    const seen: Delivery[] = [];
    if (declare) await transport.declareQueue({ name, durable: true, arguments: {} });
    await transport.consume(name, async (d) => void (seen.push(d), d.ack()), { prefetch: 50 });
    return seen;
  }

  const raw = (type: string, body: string, extra: Record<string, unknown> = {}) =>
    transport.publish({
      exchange: "",
      routingKey: queue,
      body: Buffer.from(body),
      properties: {
        messageId: randomUUID(),
        type,
        timestamp: 0,
        contentType: "application/json",
        headers: { contract_version: "1.0.0" },
        ...extra,
      },
    });

  beforeAll(async () => {
    transport = await open();
    opened.push(transport);
  });
  afterEach(() => {
    queue = `t.${randomBytes(4).toString("hex")}.commands`;
    replies = `${queue}.replies`;
  });
  afterAll(async () => {
    for (const t of opened) await t.close();
  });
  queue = `t.${randomBytes(4).toString("hex")}.commands`;
  replies = `${queue}.replies`;

  it("answers a command with its success or failure reply, correlated, to reply_to", async () => {
    const got = await collect(replies);
    await serve(transport, spec(), {
      add: async ({ a, b }: { a: number; b: number }) =>
        a + b < 100 ? success({ sum: a + b }) : failure({ reason: a + b }),
      note: async () => {},
    });
    await send(transport, { exchange: "", routingKey: queue }, Add, { a: 2, b: 3 }, "1.0.0", {
      correlationId: "s1",
      replyTo: replies,
    });
    await send(transport, { exchange: "", routingKey: queue }, Add, { a: 60, b: 50 }, "1.0.0", {
      correlationId: "s2",
      replyTo: replies,
    });
    await until(() => got.length === 2);
    const byCorrelation = Object.fromEntries(got.map((d) => [d.properties.correlationId, d]));
    expect(byCorrelation.s1!.properties.type).toBe("calc.add.response.success");
    expect(JSON.parse(byCorrelation.s1!.body.toString())).toEqual({ sum: 5 });
    expect(byCorrelation.s2!.properties.type).toBe("calc.add.response.failure");
    expect(byCorrelation.s2!.properties.headers.contract_version).toBe("1.0.0");
  });

  it("throws MSG_INVALID_PAYLOAD before anything touches the wire", async () => {
    const got = await collect(queue);
    await expect(
      send(transport, { exchange: "", routingKey: queue }, Add, { a: 1, b: "2" } as never, "1.0.0", {
        correlationId: "x",
      }),
    ).rejects.toMatchObject({ code: "MSG_INVALID_PAYLOAD", messageName: "calc.add" });
    await send(transport, { exchange: "", routingKey: queue }, Note, { n: 1 }, "1.0.0", {
      correlationId: "x",
    });
    await until(() => got.length === 1);
    expect(got.map((d) => d.properties.type)).toEqual(["calc.note"]);
  });

  it("rejects an unroutable publish with AMQP_UNROUTABLE", async () => {
    await expect(
      send(transport, { exchange: "", routingKey: `nowhere.${randomUUID()}` }, Note, { n: 1 }, "1.0.0", {
        correlationId: "x",
      }),
    ).rejects.toMatchObject({ code: "AMQP_UNROUTABLE" });
  });

  it("dead-letters malformed, unknown and invalid messages with their reason, and keeps serving", async () => {
    const handled: number[] = [];
    await serve(transport, spec(), {
      add: async () => success({ sum: 0 }),
      note: async ({ n }: { n: number }) => void handled.push(n),
    });
    const dead = await collect(`${queue}.dlq`, false);
    await raw("calc.note", "{not json");
    await raw("calc.multiply", JSON.stringify({ n: 1 }));
    await raw("calc.note", JSON.stringify({ n: "one" }));
    await raw("calc.add", JSON.stringify({ a: 1, b: 2 })); // expects a reply but has no reply_to
    await raw("calc.note", JSON.stringify({ n: 7 }));
    await until(() => dead.length === 4 && handled.length === 1);
    expect(handled).toEqual([7]);
    expect(dead.map((d) => d.properties.headers["x-error-code"]).sort()).toEqual([
      "MSG_INVALID_PAYLOAD",
      "MSG_MALFORMED_JSON",
      "MSG_MISSING_REPLY_TO",
      "MSG_UNKNOWN_TYPE",
    ]);
    const invalid = dead.find((d) => d.properties.headers["x-error-code"] === "MSG_INVALID_PAYLOAD")!;
    expect(invalid.properties.headers["x-error-reason"]).toBe("/n must be integer");
    expect(invalid.properties.headers["x-original-queue"]).toBe(queue);
    expect(JSON.parse(invalid.body.toString())).toEqual({ n: "one" });
  });

  it("retries a handler that throws, then dead-letters it at the limit while other messages flow", async () => {
    const handled: number[] = [];
    const attempts: number[] = [];
    await serve(
      transport,
      spec(),
      {
        add: async () => success({ sum: 0 }),
        note: async ({ n }: { n: number }, context: MessageContext) => {
          if (n === 0) {
            attempts.push(context.deliveryCount);
            throw new Error("database unavailable");
          }
          handled.push(n);
        },
      },
      { maxAttempts: 3, retryDelayMs: () => 50 },
    );
    const dead = await collect(`${queue}.dlq`, false);
    await send(transport, { exchange: "", routingKey: queue }, Note, { n: 0 }, "1.0.0", {
      correlationId: "poison",
    });
    for (let n = 1; n <= 20; n++)
      await send(transport, { exchange: "", routingKey: queue }, Note, { n }, "1.0.0", {
        correlationId: "ok",
      });
    await until(() => dead.length === 1 && handled.length === 20);
    expect(attempts).toEqual([1, 2, 3]);
    expect(dead[0]!.properties.headers["x-error-code"]).toBe("HANDLER_FAILED");
    expect(String(dead[0]!.properties.headers["x-error-reason"])).toContain(
      "database unavailable (after 3 attempts)",
    );
  });

  it.runIf(kind === "amqp")(
    "recovers from a lost connection: every message handled exactly once, sends resumed",
    async () => {
      const counts = new Map<number, number>();
      await serve(transport, spec(), {
        add: async () => success({ sum: 0 }),
        note: async ({ n }: { n: number }) => {
          await new Promise((r) => setTimeout(r, 2));
          counts.set(n, (counts.get(n) ?? 0) + 1);
        },
      });
      const sending = (async () => {
        for (let n = 0; n < 200; n++) {
          await send(transport, { exchange: "", routingKey: queue }, Note, { n }, "1.0.0", {
            correlationId: "c",
            messageId: `m-${queue}-${n}`,
          });
        }
      })();
      await until(() => counts.size >= 50);
      closeConnections(vhost.vhost);
      await sending;
      await until(() => counts.size === 200, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect(transport.isConnected()).toBe(true);
    },
    30_000,
  );
});
