import type { Channel, ChannelModel } from "amqplib";
import { deadLetterExchange, deadLetterQueue } from "./dead-letter.js";
import type { QueueSpec } from "./transport.js";

/**
 * Declares a queue with its dead-letter exchange (fanout) and durable dead-letter queue. A failed declaration
 * (e.g. different arguments than an existing queue) closes its channel, so each check here runs on a throwaway
 * channel and never on the publishing or consuming ones.
 */
export async function declareTopology(model: ChannelModel, spec: QueueSpec): Promise<void> {
  await onThrowawayChannel(model, async (channel) => {
    const dlx = deadLetterExchange(spec.name);
    await channel.assertExchange(dlx, "fanout", { durable: true });
    await channel.assertQueue(deadLetterQueue(spec.name), { durable: true });
    await channel.bindQueue(deadLetterQueue(spec.name), dlx, "");
    await channel.assertQueue(spec.name, {
      durable: spec.durable,
      arguments: { ...spec.arguments, "x-dead-letter-exchange": dlx },
    });
  });
}

/** False when the broker says 404; other failures (connection gone) are thrown. */
export async function exchangeExists(model: ChannelModel, exchange: string): Promise<boolean> {
  try {
    await onThrowawayChannel(model, (channel) => channel.checkExchange(exchange));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Ready messages in a queue, or undefined when it does not exist. */
export async function readyCount(model: ChannelModel, queue: string): Promise<number | undefined> {
  try {
    return await onThrowawayChannel(model, async (channel) => (await channel.checkQueue(queue)).messageCount);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** amqplib puts the broker's reply code on the error. */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 404;
}

async function onThrowawayChannel<T>(
  model: ChannelModel,
  work: (channel: Channel) => Promise<T>,
): Promise<T> {
  const channel = await model.createChannel();
  channel.on("error", () => {}); // the failed operation's rejection carries the same error
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => {});
  }
}
