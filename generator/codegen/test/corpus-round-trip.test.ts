import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAmqp, createInProcessTransport, failure, success, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { BuyerClient, serveBuyer } from "./golden/corpus/request-reply/buyer/index.js";
import { serveQuoteDesk } from "./golden/corpus/request-reply/quote-desk/index.js";

/**
 * Request/reply from a third-party-shaped document's own `operation.reply`: the requester's generated client sends,
 * the replier's generated handler answers with the declared success or failure reply, to the contract's reply queue
 * or to the `replyTo` the caller gives when the contract leaves the address to run time.
 */
let vhost: ReturnType<typeof createTestVhost>;
beforeAll(() => void (vhost = createTestVhost("corpus-reply")));
afterAll(() => vhost?.remove());

describe.each([
  ["in-process", async (): Promise<Transport> => createInProcessTransport()],
  ["RabbitMQ", (): Promise<Transport> => connectAmqp(vhost.url)],
])("operation.reply on %s", (_kind, open) => {
  it("drives the request method and the handler's reply", async () => {
    const transport = await open();
    const desk = await serveQuoteDesk(transport, {
      giveQuote: async ({ sku, quantity }) =>
        sku === "NONE" ? failure({ reason: "out of stock" }) : success({ price: quantity * 0.5 }),
    });
    const received: { type: string; correlationId: string | undefined; payload: unknown }[] = [];
    const record = async (payload: unknown, context: { type: string; correlationId: string | undefined }) =>
      void received.push({ type: context.type, correlationId: context.correlationId, payload });
    const buyer = await serveBuyer(transport, { onQuoteGiven: record, onQuoteRefused: record });

    const client = new BuyerClient(transport);
    await client.requestQuote({ sku: "BOLT-8", quantity: 500 }, { correlationId: "q-1" });
    await client.requestQuote({ sku: "NONE", quantity: 1 }, { correlationId: "q-2" });
    await client.requestQuoteRepliedAnywhere(
      { sku: "NUT-4", quantity: 10 },
      { correlationId: "q-3", replyTo: "buyer.replies" },
    );
    await expect(
      client.requestQuote({ sku: "BOLT-8", quantity: 0 }, { correlationId: "bad" }),
    ).rejects.toMatchObject({ code: "MSG_INVALID_PAYLOAD" });

    const until = Date.now() + 10_000;
    while (received.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const byCorrelation = Object.fromEntries(received.map((r) => [r.correlationId, r]));
    expect(byCorrelation["q-1"]).toEqual({
      type: "quotes.requested.response.success",
      correlationId: "q-1",
      payload: { price: 250 },
    });
    expect(byCorrelation["q-2"]).toMatchObject({
      type: "quotes.requested.response.failure",
      payload: { reason: "out of stock" },
    });
    expect(byCorrelation["q-3"]).toMatchObject({
      type: "quotes.requested.response.success",
      payload: { price: 5 },
    });
    await buyer.close();
    await desk.close();
    await transport.close();
  }, 30_000);
});
