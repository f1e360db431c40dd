import type { Channel, ChannelModel, GetMessage } from "amqplib";
import { propertiesOf } from "./amqp-consumer.js";
import { isNotFound } from "./amqp-topology.js";
import type { QueuedMessage, SweepDecision } from "./transport.js";

/**
 * Takes the messages a queue holds when the sweep starts (at most `limit`) one by one with basic.get and settles
 * each as `decide` says: "remove" acks it, "keep" leaves it unacked until the end, when the channel's close puts
 * every kept message back at its old position. Messages that arrive during the sweep (a replay that fails again)
 * are beyond the starting count and not visited. A missing queue is an empty one.
 */
export async function sweepQueue(
  model: ChannelModel,
  queue: string,
  decide: (message: QueuedMessage) => Promise<SweepDecision>,
  limit: number,
): Promise<void> {
  const channel: Channel = await model.createChannel();
  channel.on("error", () => {}); // the failed operation's rejection carries the same error
  try {
    let count: number;
    try {
      count = (await channel.checkQueue(queue)).messageCount;
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (let taken = 0; taken < Math.min(count, limit); taken++) {
      const message: GetMessage | false = await channel.get(queue, { noAck: false });
      if (message === false) break;
      const decision = await decide({ body: message.content, properties: propertiesOf(message) });
      if (decision === "remove") channel.ack(message);
    }
  } finally {
    await channel.close().catch(() => {});
  }
}
