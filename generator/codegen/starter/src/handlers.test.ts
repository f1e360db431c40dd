import assert from "node:assert/strict";
import { test } from "node:test";
import { createInProcessTransport, send, type Delivery } from "@asyncgen/runtime";
import { contractVersion, Greet, serveGreeterService } from "../generated/greeter-service/index.js";
import { handlers } from "./handlers.js";

/** Sends one command through the real serve loop (validation, reply, ack) on the in-process broker. */
async function roundTrip(name: string): Promise<{ type: string; body: unknown }> {
  const transport = createInProcessTransport();
  try {
    await serveGreeterService(transport, handlers);
    await transport.declareQueue({ name: "test.replies", durable: false, arguments: {} });
    const reply = new Promise<Delivery>((resolve) => {
      void transport.consume(
        "test.replies",
        async (delivery) => {
          delivery.ack();
          resolve(delivery);
        },
        { prefetch: 1 },
      );
    });
    const route = { exchange: "", routingKey: "greeter_service.commands" };
    await send(transport, route, Greet, { name }, contractVersion, {
      correlationId: "test-1",
      replyTo: "test.replies",
    });
    const delivery = await reply;
    return { type: delivery.properties.type, body: JSON.parse(delivery.body.toString()) };
  } finally {
    await transport.close();
  }
}

test("greets by name", async () => {
  assert.deepEqual(await roundTrip("Ada"), {
    type: "greeter_service.greet.response.success",
    body: { greeting: "Hello, Ada!" },
  });
});

test("refuses a blank name with the contract's failure reply", async () => {
  assert.deepEqual(await roundTrip("   "), {
    type: "greeter_service.greet.response.failure",
    body: { reason: "a name of blanks only" },
  });
});

test("an invalid command never reaches the handler: it is validated before sending", async () => {
  await assert.rejects(roundTrip(""), { code: "MSG_INVALID_PAYLOAD" });
});
