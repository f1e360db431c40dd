import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { readConfig } from "../src/config.js";
import { openTransport } from "../src/transport.js";

const message = (messageId: string) => ({
  exchange: "",
  routingKey: "q",
  body: Buffer.from("{}"),
  properties: { messageId, type: "t", timestamp: 0, contentType: "application/json" as const, headers: {} },
});

/** Message ids delivered for one publish of m-1, up to the first delivery of the m-2 published after it. */
async function deliveriesOfOnePublish(): Promise<string[]> {
  const transport = await openTransport(
    readConfig({ BROKER: "in-process" }),
    pino({ enabled: false }),
    "test",
  );
  await transport.declareQueue({ name: "q", durable: true, arguments: {} });
  const seen: string[] = [];
  const marker = new Promise<void>((resolve) => {
    void transport.consume(
      "q",
      async (delivery) => {
        delivery.ack();
        if (delivery.properties.messageId === "m-2") return resolve();
        seen.push(delivery.properties.messageId);
      },
      { prefetch: 1 },
    );
  });
  await transport.publish(message("m-1"));
  await transport.publish(message("m-2"));
  await marker;
  await transport.close();
  return seen;
}

describe("CHAOS_DUPLICATE_DELIVERY (test-only switch of openTransport)", () => {
  afterEach(() => {
    delete process.env.CHAOS_DUPLICATE_DELIVERY;
  });

  it("delivers every published message twice with the same message id when set to 1", async () => {
    process.env.CHAOS_DUPLICATE_DELIVERY = "1";
    expect(await deliveriesOfOnePublish()).toEqual(["m-1", "m-1"]);
  });

  it("delivers once when unset", async () => {
    expect(await deliveriesOfOnePublish()).toEqual(["m-1"]);
  });
});
