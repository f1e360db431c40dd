import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAmqp, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";

const run = promisify(execFile);
const SERVICE_DIR = path.resolve(import.meta.dirname, "..");

/** The operators' command (`npm run dead-letters`) as a real process against a private vhost of RabbitMQ. */
describe("npm run dead-letters", () => {
  const vhost = createTestVhost("dead-letters-cli");
  const QUEUE = "restaurant_service.commands";
  let transport: Transport;

  beforeAll(async () => {
    transport = await connectAmqp(vhost.url);
    await transport.declareQueue({ name: QUEUE, durable: true, arguments: { "x-queue-type": "quorum" } });
  });
  afterAll(async () => {
    await transport?.close();
    vhost.remove();
  });

  const cli = async (...args: string[]): Promise<{ code: number; out: string }> => {
    try {
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", "src/dead-letters-main.ts", ...args],
        {
          cwd: SERVICE_DIR,
          env: { ...process.env, AMQP_URL: vhost.url },
        },
      );
      return { code: 0, out: stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, out: failed.stdout };
    }
  };

  /** A command dead-lettered by the restaurant service, as the runtime leaves it in the dead-letter queue. */
  const deadLetter = async (): Promise<string> => {
    const messageId = randomUUID();
    await transport.publish({
      exchange: `${QUEUE}.dlx`,
      routingKey: QUEUE,
      body: Buffer.from(JSON.stringify({ ticket_id: 7 })),
      properties: {
        messageId,
        type: "restaurant_service.approve_ticket",
        correlationId: "7",
        replyTo: "create_order_saga_responses",
        timestamp: Math.floor(Date.now() / 1000),
        contentType: "application/json",
        headers: {
          contract_version: "1.0.0",
          "x-error-code": "HANDLER_FAILED",
          "x-error-reason": "database unavailable (after 5 attempts)",
          "x-original-queue": QUEUE,
        },
      },
    });
    return messageId;
  };

  it("lists, replays by id (to the original queue) and discards all", async () => {
    const first = await deadLetter();
    await deadLetter();
    const list = await cli("list");
    expect(list.code).toBe(0);
    expect(list.out).toContain(`${QUEUE}.dlq  ${first}  restaurant_service.approve_ticket  HANDLER_FAILED`);
    expect(list.out).toContain("2 dead letter(s)");
    const json = JSON.parse((await cli("list", QUEUE, "--json")).out) as { message_id: string }[];
    expect(json.map((l) => l.message_id)).toContain(first);

    const replay = await cli("replay", QUEUE, "--id", first);
    expect(replay).toMatchObject({ code: 0, out: expect.stringContaining("replayed 1 dead letter(s)") });
    expect(await transport.queueDepth(QUEUE)).toBe(1);
    expect(await transport.queueDepth(`${QUEUE}.dlq`)).toBe(1);

    expect(await cli("replay", QUEUE, "--id", first)).toMatchObject({
      code: 1,
      out: expect.stringContaining(`no dead letter ${first} in ${QUEUE}`),
    });
    expect(await cli("discard", `${QUEUE}.dlq`, "--all")).toMatchObject({
      code: 0,
      out: expect.stringContaining("discarded 1 dead letter(s)"),
    });
    expect(await transport.queueDepth(`${QUEUE}.dlq`)).toBe(0);
  });

  it("refuses bad usage with exit code 2 and the usage", async () => {
    for (const args of [["replay", QUEUE, "--all", "--id", "x"], ["purge"]]) {
      const result = await cli(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.out).toContain("usage: npm run dead-letters");
    }
  });
});
