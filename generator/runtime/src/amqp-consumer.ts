import type { Channel, ChannelModel, ConsumeMessage, GetMessage } from "amqplib";
import type { Logger } from "./logger.js";
import type { Delivery, MessageProperties } from "./transport.js";

export interface ConsumerEvents {
  readonly logger: Logger;
  /** The channel died or the broker cancelled the consumer (e.g. its queue was deleted), not by our cancel(). */
  onLost(): void;
  readonly counts: RedeliveryCounts;
}

/**
 * One consumer on its own channel (its own prefetch window, and a channel error cannot take the others down).
 * Every delivery is tied to this channel: an ack or nack after the channel died is dropped, because the broker
 * has already put the message back and will deliver it again; on a new channel that delivery tag means nothing,
 * or worse, another message.
 */
export class ChannelConsumer {
  readonly #channel: Channel;
  readonly #queue: string;
  #tag: string | undefined;
  #live = true;
  #cancelling = false;
  /** Losses are reported only once start() has returned; before that, start() fails or isLive says so. */
  #started = false;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  private constructor(channel: Channel, queue: string) {
    this.#channel = channel;
    this.#queue = queue;
  }

  static async start(
    model: ChannelModel,
    queue: string,
    prefetch: number,
    onDelivery: (delivery: Delivery) => Promise<void>,
    events: ConsumerEvents,
  ): Promise<ChannelConsumer> {
    const channel = await model.createChannel();
    const consumer = new ChannelConsumer(channel, queue);
    channel.on("error", (error: Error) =>
      events.logger.warn({ err: error, queue }, "amqp consumer channel error"),
    );
    channel.once("close", () => {
      const unexpected = consumer.#started && consumer.#live && !consumer.#cancelling;
      consumer.#live = false;
      consumer.#wakeIdle();
      if (unexpected) events.onLost();
    });
    try {
      await channel.prefetch(prefetch);
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (message) consumer.#deliver(message, onDelivery, events);
        else if (consumer.#live && !consumer.#cancelling) {
          // basic.cancel from the broker: the queue was deleted or its leader moved. Start over on a new channel.
          events.logger.warn({ queue }, "amqp consumer cancelled by the broker");
          void channel.close().catch(() => {});
        }
      });
      consumer.#tag = consumerTag;
    } catch (error) {
      consumer.#cancelling = true; // a failed start is reported to the caller, not as a loss
      await channel.close().catch(() => {});
      throw error;
    }
    consumer.#started = true;
    return consumer;
  }

  get isLive(): boolean {
    return this.#live && !this.#cancelling;
  }

  /** Stops deliveries, waits up to `settleMs` for the in-flight ones, then closes (the rest are redelivered). */
  async cancel(settleMs: number): Promise<void> {
    if (this.#cancelling) return;
    this.#cancelling = true;
    if (this.#live && this.#tag !== undefined) await this.#channel.cancel(this.#tag).catch(() => {});
    if (this.#inFlight > 0 && this.#live) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, settleMs))),
      ]);
      clearTimeout(timer);
    }
    this.#live = false;
    await this.#channel.close().catch(() => {});
  }

  #deliver(
    message: ConsumeMessage,
    onDelivery: (d: Delivery) => Promise<void>,
    events: ConsumerEvents,
  ): void {
    const channel = this.#channel;
    let settled = false;
    const settle = (send: () => void): void => {
      if (settled) return;
      settled = true;
      if (this.#live) send();
      else
        events.logger.debug(
          { queue: this.#queue, messageId: properties.messageId },
          "settle after channel loss dropped",
        );
    };
    const properties = propertiesOf(message);
    const delivery: Delivery = {
      queue: this.#queue,
      body: message.content,
      properties,
      deliveryCount: events.counts.deliveryCount(message, properties.messageId),
      ack: () => settle(() => channel.ack(message)),
      nack: (requeue) => settle(() => channel.nack(message, false, requeue)),
    };
    this.#inFlight++;
    // Through a promise, so that even a handler that throws synchronously cannot reach amqplib's dispatch.
    new Promise<void>((resolve) => resolve(onDelivery(delivery)))
      .catch((error: unknown) => {
        events.logger.error(
          { err: error, queue: this.#queue, messageId: properties.messageId },
          "delivery handler failed; requeued",
        );
        delivery.nack(true);
      })
      .finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0) this.#wakeIdle();
      });
  }

  #wakeIdle(): void {
    for (const wake of this.#idle.splice(0)) wake();
  }
}

/**
 * Delivery counts. Quorum queues carry the broker's count in `x-delivery-count` (returns so far); classic queues
 * only say "redelivered", so redeliveries seen by this process are counted here (bounded) to keep a retry limit
 * reachable instead of stuck at 2.
 */
export class RedeliveryCounts {
  readonly #seen = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  deliveryCount(message: ConsumeMessage, messageId: string): number {
    const header: unknown = message.properties.headers?.["x-delivery-count"];
    if (typeof header === "number") return header + 1;
    if (!message.fields.redelivered) return 1;
    const count = (this.#seen.get(messageId) ?? 1) + 1;
    if (messageId !== "") {
      this.#seen.delete(messageId);
      this.#seen.set(messageId, count);
      if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.keys().next().value as string);
    }
    return count;
  }
}

export function propertiesOf(message: ConsumeMessage | GetMessage): MessageProperties {
  const p = message.properties;
  return {
    messageId: typeof p.messageId === "string" ? p.messageId : "",
    type: typeof p.type === "string" ? p.type : "",
    correlationId: typeof p.correlationId === "string" ? p.correlationId : undefined,
    replyTo: typeof p.replyTo === "string" ? p.replyTo : undefined,
    timestamp: typeof p.timestamp === "number" ? p.timestamp : 0,
    contentType: "application/json",
    headers: (p.headers ?? {}) as Record<string, unknown>,
  };
}
