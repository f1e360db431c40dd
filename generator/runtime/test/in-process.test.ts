import { describe, expect, it } from "vitest";
import { createInProcessTransport, send, type Delivery } from "../src/index.js";
import { until } from "./broker.js";
import { Note } from "./fixtures.js";

/** What only the in-process transport offers or must guarantee on its own. */
describe("in-process transport", () => {
  const route = (routingKey: string) => ({ exchange: "", routingKey });

  it("lets tests inspect a queue: ready messages in order, and unacked ones", async () => {
    const transport = createInProcessTransport();
    await transport.declareQueue({ name: "q", durable: true, arguments: {} });
    for (const n of [1, 2, 3])
      await send(transport, route("q"), Note, { n }, "1.0.0", { correlationId: "c" });
    const before = transport.inspect("q");
    expect(before.ready).toBe(3);
    expect(before.messages.map((m) => JSON.parse(m.body.toString()) as unknown)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
    const held: Delivery[] = [];
    await transport.consume("q", async (d) => void held.push(d), { prefetch: 2 });
    await until(() => held.length === 2, "two deliveries");
    expect(transport.inspect("q")).toMatchObject({ ready: 1, unacked: 2 });
    held[0]!.ack();
    held[1]!.nack(true);
    await until(() => held.length === 4, "the rest");
    expect(held[3]!.deliveryCount).toBe(2); // the nacked one came back
    expect(held[3]!.properties.headers["x-delivery-count"]).toBe(1); // as a quorum queue says it
    expect(transport.inspect("nowhere")).toEqual({ ready: 0, unacked: 0, messages: [] });
    await transport.close();
  });

  it("delivers asynchronously: never inside publish(), ack() or another delivery", async () => {
    const transport = createInProcessTransport();
    await transport.declareQueue({ name: "q", durable: true, arguments: {} });
    let depth = 0;
    let deepest = 0;
    const order: string[] = [];
    await transport.consume(
      "q",
      async (d) => {
        depth++;
        deepest = Math.max(deepest, depth);
        order.push(`deliver ${d.properties.messageId}`);
        d.ack(); // with prefetch 1, a synchronous broker would deliver the next one right here
        depth--;
      },
      { prefetch: 1 },
    );
    const publishing = Promise.all(
      ["a", "b", "c"].map((id) =>
        send(transport, route("q"), Note, { n: 1 }, "1.0.0", { correlationId: "c", messageId: id }),
      ),
    );
    order.push("published");
    await publishing;
    await until(() => order.length === 4, "three deliveries");
    expect(order[0]).toBe("published");
    expect(deepest).toBe(1);
    await transport.close();
  });

  it("dead-letters a nack without requeue into <queue>.dlq", async () => {
    const transport = createInProcessTransport();
    await transport.declareQueue({ name: "q", durable: true, arguments: {} });
    await transport.consume("q", async (d) => d.nack(false), { prefetch: 1 });
    await send(transport, route("q"), Note, { n: 1 }, "1.0.0", { correlationId: "c", messageId: "m1" });
    await until(() => transport.inspect("q.dlq").ready === 1, "the dead letter");
    expect(transport.inspect("q.dlq").messages[0]!.properties).toMatchObject({
      messageId: "m1",
      type: "calc.note",
    });
    await transport.close();
  });

  it("rejects consuming an undeclared queue", async () => {
    const transport = createInProcessTransport();
    await expect(transport.consume("ghost", async () => {}, { prefetch: 1 })).rejects.toMatchObject({
      code: "AMQP_UNROUTABLE",
    });
  });
});
