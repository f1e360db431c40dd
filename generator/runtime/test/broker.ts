import { randomBytes } from "node:crypto";
import net from "node:net";
import amqp from "amqplib";
import type { Delivery, Transport } from "../src/index.js";

/** The broker the tests use. */
export const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** A prefix unique to this run, on every queue a test declares, so parallel runs and files never meet. */
export function runPrefix(label: string): string {
  return `test.${label}.${randomBytes(4).toString("hex")}`;
}

/** Deletes queues and their dead-letter exchange and queue; missing ones are fine. */
export async function deleteQueues(names: Iterable<string>): Promise<void> {
  const model = await amqp.connect(AMQP_URL);
  try {
    for (const name of names) {
      for (const [kind, target] of [
        ["queue", name],
        ["queue", `${name}.dlq`],
        ["exchange", `${name}.dlx`],
      ] as const) {
        const channel = await model.createChannel();
        channel.on("error", () => {});
        if (kind === "queue") await channel.deleteQueue(target).catch(() => {});
        else await channel.deleteExchange(target).catch(() => {});
        await channel.close().catch(() => {});
      }
    }
  } finally {
    await model.close();
  }
}

/**
 * A TCP proxy in front of the broker: `cut()` destroys every proxied socket (what a network failure or a broker
 * restart does to the client), `refuse()` makes new connections fail until `accept()`. Both ends are real sockets,
 * so the client's heartbeat, close and reconnect paths run as they would in production.
 */
export async function startProxy(): Promise<{
  url: string;
  cut(): void;
  refuse(): void;
  accept(): void;
  connections(): number;
  stop(): Promise<void>;
}> {
  const upstream = new URL(AMQP_URL);
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return void client.destroy();
    const broker = net.connect(Number(upstream.port || 5672), upstream.hostname);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    for (const [socket, other] of [
      [client, broker],
      [broker, client],
    ] as const) {
      sockets.add(socket);
      socket.on("error", () => other.destroy());
      socket.on("close", () => {
        sockets.delete(socket);
        other.destroy();
      });
      socket.pipe(other);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(AMQP_URL);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString().replace(/\/$/, ""),
    cut: () => sockets.forEach((socket) => socket.destroy()),
    refuse: () => void (refusing = true),
    accept: () => void (refusing = false),
    connections: () => sockets.size / 2,
    stop: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it holds; fails the test with `what` otherwise. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Consumes `queue` (declaring it first unless told not to), acking and keeping every delivery; close() stops. */
export async function collectDeliveries(
  transport: Transport,
  queue: string,
  declare = true,
): Promise<{ seen: Delivery[]; close(): Promise<void> }> {
  const seen: Delivery[] = [];
  if (declare) await transport.declareQueue({ name: queue, durable: true, arguments: {} });
  const subscription = await transport.consume(queue, async (d) => void (seen.push(d), d.ack()), {
    prefetch: 50,
  });
  return { seen, close: () => subscription.cancel() };
}
