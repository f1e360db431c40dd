// Sequential request/reply round trips over RabbitMQ: send() + serve() through @saga/runtime, next to the same
// loop written directly on amqplib (noDelay, confirm channels, durable quorum queues, persistent messages).
// Both run in the same process against the same broker, one after the other, so the ratio is what matters.
//
//   npx tsx generator/runtime/bench/round-trip.ts          (AMQP_URL, default amqp://guest:guest@127.0.0.1:5672)
//   BENCH_MS=5000 npx tsx generator/runtime/bench/round-trip.ts
import { randomBytes, randomUUID } from "node:crypto";
import amqp, { type ConfirmChannel } from "amqplib";
import { connectAmqp, send, serve, success, type MessageSpec, type Validator } from "../src/index.js";

const url = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const durationMs = Number(process.env.BENCH_MS ?? 2000);
const warmUpMs = 300;
const prefix = `bench.${randomBytes(4).toString("hex")}`;
const quorum = { durable: true, arguments: { "x-queue-type": "quorum" } };

/** What a generated validator does for `{ "n": integer }`, written out. */
const integerN: Validator = (data) => {
  const ok = typeof data === "object" && data !== null && Number.isInteger((data as { n?: unknown }).n);
  integerN.errors = ok ? null : [{ instancePath: "/n", message: "must be integer" }];
  return ok;
};
const Ping: MessageSpec<{ n: number }> = { name: "bench.ping", validatePayload: integerN };
const Pong: MessageSpec<{ n: number }> = { name: "bench.ping.response.success", validatePayload: integerN };

/** Runs `roundTrip` back to back: a warm-up, then `durationMs` counted. */
async function measure(
  roundTrip: (n: number) => Promise<void>,
): Promise<{ count: number; perSecond: number }> {
  let n = 0;
  for (const end = Date.now() + warmUpMs; Date.now() < end;) await roundTrip(n++);
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < durationMs) {
    await roundTrip(n++);
    count++;
  }
  return { count, perSecond: count / ((performance.now() - started) / 1000) };
}

/** Resolves when a reply with this correlation id arrives. */
function replyWaiter(): { expect(id: string): Promise<void>; arrived(id: string | undefined): void } {
  const waiting = new Map<string, () => void>();
  return {
    expect: (id) => new Promise<void>((resolve) => waiting.set(id, resolve)),
    arrived: (id) => {
      if (id === undefined) return;
      waiting.get(id)?.();
      waiting.delete(id);
    },
  };
}

async function plainAmqplib(): Promise<{ count: number; perSecond: number }> {
  const requests = `${prefix}.plain.requests`;
  const replies = `${prefix}.plain.replies`;
  const server = await amqp.connect(url, { noDelay: true });
  const client = await amqp.connect(url, { noDelay: true });
  try {
    const setup = await client.createChannel();
    await setup.assertQueue(requests, quorum);
    await setup.assertQueue(replies, quorum);

    const serverIn = await server.createChannel();
    const serverOut: ConfirmChannel = await server.createConfirmChannel();
    await serverIn.prefetch(16);
    await serverIn.consume(requests, (message) => {
      if (!message) return;
      const { n } = JSON.parse(message.content.toString()) as { n: number };
      const reply = Buffer.from(JSON.stringify({ n }));
      const properties = {
        persistent: true,
        messageId: randomUUID(),
        correlationId: message.properties.correlationId as string,
        type: "bench.ping.response.success",
        contentType: "application/json",
      };
      serverOut.sendToQueue(message.properties.replyTo as string, reply, properties, (error: unknown) => {
        if (!error) serverIn.ack(message);
      });
    });

    const clientOut: ConfirmChannel = await client.createConfirmChannel();
    const waiter = replyWaiter();
    await setup.consume(replies, (message) => {
      if (!message) return;
      waiter.arrived(message.properties.correlationId as string | undefined);
      setup.ack(message);
    });
    const result = await measure(async (n) => {
      const correlationId = randomUUID();
      const replied = waiter.expect(correlationId);
      await new Promise<void>((resolve, reject) =>
        clientOut.sendToQueue(
          requests,
          Buffer.from(JSON.stringify({ n })),
          {
            persistent: true,
            messageId: randomUUID(),
            correlationId,
            replyTo: replies,
            type: "bench.ping",
            contentType: "application/json",
          },
          (error: unknown) => (error ? reject(new Error(String(error))) : resolve()),
        ),
      );
      await replied;
    });
    await setup.deleteQueue(requests);
    await setup.deleteQueue(replies);
    return result;
  } finally {
    await client.close();
    await server.close();
  }
}

async function sagaRuntime(): Promise<{ count: number; perSecond: number }> {
  const requests = `${prefix}.runtime.requests`;
  const replies = `${prefix}.runtime.replies`;
  const server = await connectAmqp(url, { connectionName: "bench-server" });
  const client = await connectAmqp(url, { connectionName: "bench-client" });
  try {
    const served = await serve(
      server,
      {
        service: "bench",
        contractVersion: "1.0.0",
        queue: { name: requests, ...quorum },
        operations: [{ operationId: "ping", message: Ping, replies: { success: Pong } }],
      },
      { ping: async ({ n }: { n: number }) => success({ n }) },
      { prefetch: 16 },
    );
    await client.declareQueue({ name: replies, ...quorum });
    const waiter = replyWaiter();
    await client.consume(
      replies,
      async (delivery) => {
        waiter.arrived(delivery.properties.correlationId);
        delivery.ack();
      },
      { prefetch: 16 },
    );
    const result = await measure(async (n) => {
      const correlationId = randomUUID();
      const replied = waiter.expect(correlationId);
      await send(client, { exchange: "", routingKey: requests }, Ping, { n }, "1.0.0", {
        correlationId,
        replyTo: replies,
      });
      await replied;
    });
    await served.close();
    return result;
  } finally {
    await client.close();
    await server.close();
    await deleteQueues([requests, replies]);
  }
}

async function deleteQueues(names: string[]): Promise<void> {
  const model = await amqp.connect(url);
  const channel = await model.createChannel();
  for (const name of names) {
    await channel.deleteQueue(name);
    await channel.deleteQueue(`${name}.dlq`);
    await channel.deleteExchange(`${name}.dlx`);
  }
  await model.close();
}

const plain = await plainAmqplib();
const runtime = await sagaRuntime();
const row = (name: string, r: { count: number; perSecond: number }): string =>
  `| ${name.padEnd(34)} | ${String(r.count).padStart(11)} | ${r.perSecond.toFixed(0).padStart(13)} | ${(
    r.perSecond / plain.perSecond
  )
    .toFixed(2)
    .padStart(8)} |`;
console.log(
  `sequential request/reply round trips, ${durationMs} ms each, ${url.replace(/:[^:@/]*@/, ":***@")}`,
);
console.log(`| ${"loop".padEnd(34)} | round trips | round trips/s | vs plain |`);
console.log(`|${"-".repeat(36)}|-------------|---------------|----------|`);
console.log(row("plain amqplib (baseline)", plain));
console.log(row("@saga/runtime send() + serve()", runtime));
