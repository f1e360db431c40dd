import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import { serveConsumerService } from "@saga/generated/consumer-service";
import {
  OrderServiceClient,
  serveOrderService,
  type OrderServiceHandlers,
} from "@saga/generated/order-service";
import { connectAmqp, success } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { answerRequests, consumeReplies, publishConfirmed, QUORUM_QUEUE } from "./plain-amqp.js";

/**
 * Sequential request/reply round trips per second on RabbitMQ: one generated client/handler pair
 * (verify_consumer_details and its reply, validated on both ends) next to a plain amqplib loop with the same
 * persistence settings (quorum queues, persistent messages, publisher confirms, noDelay), measured in the same run.
 */
export interface RoundTripResult {
  readonly ours: number;
  readonly ceiling: number;
}

export async function measureRoundTrips(seconds: number, inFlight = 1): Promise<RoundTripResult> {
  const vhost = createTestVhost("bench-rt");
  try {
    return {
      ours: await generated(vhost.url, seconds, inFlight),
      ceiling: await plain(vhost.url, seconds, inFlight),
    };
  } finally {
    vhost.remove();
  }
}

async function generated(url: string, seconds: number, inFlight: number): Promise<number> {
  const transport = await connectAmqp(url);
  const waiting = new Map<string, () => void>();
  const done = async (_payload: unknown, context: { correlationId: string | undefined }) =>
    waiting.get(context.correlationId!)?.();
  const handlers = Object.fromEntries(
    [
      "onVerifyConsumerDetailsSuccess",
      "onVerifyConsumerDetailsFailure",
      "onCreateTicketSuccess",
      "onCreateTicketFailure",
      "onRejectTicketSuccess",
      "onAuthorizeCardSuccess",
      "onAuthorizeCardFailure",
      "onApproveTicketSuccess",
      "onApproveTicketFailure",
    ].map((m) => [m, done]),
  ) as unknown as OrderServiceHandlers;
  await serveConsumerService(
    transport,
    { verifyConsumerDetails: async () => success(null) },
    { prefetch: 64 },
  );
  await serveOrderService(transport, handlers, { prefetch: 64 });
  const client = new OrderServiceClient(transport);
  const count = await loop(seconds, inFlight, async (id) => {
    const replied = new Promise<void>((resolve) => waiting.set(id, resolve));
    await client.verifyConsumerDetails({ consumer_id: 70 }, { correlationId: id });
    await replied;
    waiting.delete(id);
  });
  await transport.close();
  return count / seconds;
}

async function plain(url: string, seconds: number, inFlight: number): Promise<number> {
  const connection = await amqp.connect(url, { noDelay: true });
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  const requests = `plain.requests.${randomBytes(3).toString("hex")}`;
  const replies = `plain.replies.${randomBytes(3).toString("hex")}`;
  await consumer.assertQueue(requests, QUORUM_QUEUE);
  await consumer.assertQueue(replies, QUORUM_QUEUE);
  await consumer.prefetch(64);
  await answerRequests(consumer, publisher, requests);
  const waiting = await consumeReplies(consumer, replies);
  const count = await loop(seconds, inFlight, async (id) => {
    const replied = new Promise<void>((resolve) => waiting.set(id, resolve));
    await publishConfirmed(publisher, requests, { consumer_id: 70 }, { correlationId: id, replyTo: replies });
    await replied;
    waiting.delete(id);
  });
  await connection.close();
  return count / seconds;
}

/** Runs `inFlight` sequential loops of `step` for `seconds`; returns how many steps completed. */
async function loop(seconds: number, inFlight: number, step: (id: string) => Promise<void>): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      for (let i = 0; Date.now() < until; i++) {
        await step(`${worker}-${i}`);
        count++;
      }
    }),
  );
  return count;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureRoundTrips(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 1));
  console.log(
    `round trips/s: generated ${result.ours.toFixed(0)}, plain amqplib ${result.ceiling.toFixed(0)}, ratio ${(result.ours / result.ceiling).toFixed(2)}`,
  );
}
