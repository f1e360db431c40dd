import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTransport, type InProcessTransport } from "@asyncgen/runtime";
import { startOrderService, type RunningOrderService } from "../src/service.js";

/**
 * The dead-letter endpoints over HTTP (the listing, replay and discard themselves are proven on RabbitMQ in
 * generator/runtime/test/dead-letters.test.ts): what they answer, and every refusal with its code.
 */
describe("GET /dead-letters, POST /dead-letters/replay and /discard", () => {
  const DLQ = "create_order_saga_responses.dlq";
  let transport: InProcessTransport;
  let orders: RunningOrderService;

  beforeAll(async () => {
    transport = createInProcessTransport();
    orders = await startOrderService({
      transport,
      logger: pino({ level: "silent" }),
      databaseFile: ":memory:",
      port: 0,
    });
  });
  afterAll(async () => {
    await orders?.stop();
    await transport?.close();
  });

  /** A reply whose body is not JSON: the order service dead-letters it at once (MSG_MALFORMED_JSON). */
  async function poison(): Promise<string> {
    const messageId = randomUUID();
    const before = transport.inspect(DLQ).ready;
    await transport.publish({
      exchange: "",
      routingKey: "create_order_saga_responses",
      body: Buffer.from("{not json"),
      properties: {
        messageId,
        type: "restaurant_service.create_ticket.response.success",
        correlationId: "12",
        timestamp: Math.floor(Date.now() / 1000),
        contentType: "application/json",
        headers: { contract_version: "1.0.0" },
      },
    });
    await dlqHolds(before + 1);
    return messageId;
  }

  async function dlqHolds(count: number): Promise<void> {
    for (let i = 0; i < 500 && transport.inspect(DLQ).ready < count; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(transport.inspect(DLQ).ready).toBe(count);
  }

  const get = async (query = "") => {
    const response = await fetch(`${orders.url}/dead-letters${query}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const post = async (action: string, body: unknown) => {
    const response = await fetch(`${orders.url}/dead-letters/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("lists every dead-letter queue of the service and the messages in them", async () => {
    const messageId = await poison();
    const { status, body } = await get();
    expect(status).toBe(200);
    expect(Object.keys(body.queues as object).sort()).toEqual([
      "accounting_service.commands.dlq",
      "consumer_service.commands.dlq",
      DLQ,
      "restaurant_service.commands.dlq",
    ]);
    expect(body.dead_letters).toEqual([
      expect.objectContaining({
        queue: DLQ,
        message_id: messageId,
        type: "restaurant_service.create_ticket.response.success",
        error_code: "MSG_MALFORMED_JSON",
        original_queue: "create_order_saga_responses",
        replay_count: 0,
        payload: "{not json",
      }),
    ]);
    expect((await get("?queue=create_order_saga_responses")).body.queues).toEqual({ [DLQ]: 1 });
  });

  it("replays a message that still fails: it comes back with its replay count", async () => {
    const { dead_letters } = (await get()).body as { dead_letters: { message_id: string }[] };
    const messageId = dead_letters[0]!.message_id;
    const replay = await post("replay", { queue: DLQ, message_id: messageId });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ queue: DLQ, replayed: [{ message_id: messageId }] });
    await dlqHolds(1);
    expect((await get()).body.dead_letters).toEqual([
      expect.objectContaining({ message_id: messageId, error_code: "MSG_MALFORMED_JSON", replay_count: 1 }),
    ]);
  });

  it("refuses unknown queues, missing messages and bad bodies with coded errors", async () => {
    expect(await post("replay", { queue: "elsewhere", all: true })).toMatchObject({
      status: 400,
      body: { code: "HTTP_UNKNOWN_QUEUE" },
    });
    expect(await get("?queue=elsewhere")).toMatchObject({
      status: 400,
      body: { code: "HTTP_UNKNOWN_QUEUE" },
    });
    expect(await post("replay", { queue: DLQ, message_id: "no-such-message" })).toMatchObject({
      status: 404,
      body: { code: "HTTP_DEAD_LETTER_NOT_FOUND" },
    });
    for (const bad of [
      { queue: DLQ },
      { queue: DLQ, all: false },
      { queue: DLQ, all: true, message_id: "x" },
    ]) {
      expect((await post("discard", bad)).status).toBe(400);
    }
  });

  it("discards all of a queue's dead letters", async () => {
    await poison();
    const discard = await post("discard", { queue: "create_order_saga_responses", all: true });
    expect(discard.status).toBe(200);
    expect((discard.body.discarded as unknown[]).length).toBe(2);
    expect(transport.inspect(DLQ).ready).toBe(0);
  });
});
