import type { ChannelModel, ConfirmChannel, Message } from "amqplib";
import { SagaToolkitError } from "./errors.js";
import type { OutgoingMessage } from "./transport.js";

/** The channel closed before the broker confirmed: the message may or may not be on the broker, so send it again. */
export class ChannelLost extends Error {
  override name = "ChannelLost";
}

export interface PublisherEvents {
  onError(error: Error): void;
  onClose(): void;
}

/**
 * One confirm channel. Publishes persistent and mandatory and turns the broker's answer into a promise: a return
 * (nothing bound) becomes AMQP_UNROUTABLE, a nack AMQP_NACKED, a missing confirm AMQP_CONFIRM_TIMEOUT, and a channel
 * that dies first ChannelLost (the caller publishes again on the next channel).
 */
export class ConfirmPublisher {
  readonly #channel: ConfirmChannel;
  /** RabbitMQ sends basic.return before the confirm of the same message, so the confirm callback can look here. */
  readonly #returned = new Set<string>();
  /** Set while the channel's write buffer is full (publish() returned false) until 'drain' or 'close'. */
  #drained: Promise<void> | undefined;
  #open = true;

  private constructor(channel: ConfirmChannel) {
    this.#channel = channel;
  }

  static async open(model: ChannelModel, events: PublisherEvents): Promise<ConfirmPublisher> {
    const channel = await model.createConfirmChannel();
    const publisher = new ConfirmPublisher(channel);
    channel.on("error", events.onError);
    channel.on("return", (message: Message) => {
      const id: unknown = message.properties.messageId;
      if (typeof id === "string") publisher.#returned.add(id);
    });
    // amqplib fails the unconfirmed callbacks in its own 'close' listener, registered before this one; their
    // promise reactions run after this listener, so a retrying publish already sees this channel as gone.
    channel.once("close", () => {
      publisher.#open = false;
      publisher.#returned.clear();
      events.onClose();
    });
    return publisher;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Publishes once; resolves on the broker's confirm. */
  async publish(message: OutgoingMessage, deadline: number): Promise<void> {
    if (this.#drained) await beforeDeadline(this.#drained, deadline, message);
    if (!this.#open) throw new ChannelLost("channel closed");
    const { properties } = message;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(confirmTimeout(message)), Math.max(0, deadline - Date.now()));
      const settle = (error: unknown): void => {
        clearTimeout(timer);
        if (this.#returned.delete(properties.messageId)) reject(unroutable(message));
        else if (error === null || error === undefined) resolve();
        else if (error instanceof Error && error.message === "message nacked") {
          reject(
            new SagaToolkitError("AMQP_NACKED", `the broker refused ${properties.type}`, {
              messageId: properties.messageId,
              exchange: message.exchange,
              routingKey: message.routingKey,
            }),
          );
        } else reject(new ChannelLost(String(error)));
      };
      let accepted: boolean;
      try {
        accepted = this.#channel.publish(
          message.exchange,
          message.routingKey,
          message.body,
          {
            persistent: true,
            mandatory: true,
            messageId: properties.messageId,
            type: properties.type,
            ...(properties.correlationId === undefined ? {} : { correlationId: properties.correlationId }),
            ...(properties.replyTo === undefined ? {} : { replyTo: properties.replyTo }),
            timestamp: properties.timestamp,
            contentType: properties.contentType,
            headers: properties.headers,
          },
          settle,
        );
      } catch (error) {
        // amqplib throws synchronously on a channel that is closing or closed.
        clearTimeout(timer);
        reject(new ChannelLost(String(error)));
        return;
      }
      if (!accepted) this.#waitForDrain();
    });
  }

  async close(): Promise<void> {
    if (this.#open) await this.#channel.close().catch(() => {});
  }

  #waitForDrain(): void {
    this.#drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.#channel.off("drain", done);
        this.#channel.off("close", done);
        this.#drained = undefined;
        resolve();
      };
      this.#channel.on("drain", done);
      this.#channel.on("close", done);
    });
  }
}

export function unroutable(message: OutgoingMessage, detail = ""): SagaToolkitError {
  const exchange = message.exchange === "" ? "the default exchange" : `exchange "${message.exchange}"`;
  return new SagaToolkitError(
    "AMQP_UNROUTABLE",
    `${message.properties.type}: nothing bound on ${exchange} for routing key "${message.routingKey}"${detail}`,
    { exchange: message.exchange, routingKey: message.routingKey, messageId: message.properties.messageId },
  );
}

export function confirmTimeout(message: OutgoingMessage): SagaToolkitError {
  return new SagaToolkitError(
    "AMQP_CONFIRM_TIMEOUT",
    `${message.properties.type}: no confirm from the broker in time`,
    { messageId: message.properties.messageId },
  );
}

/** Waits for `promise`, or rejects AMQP_CONFIRM_TIMEOUT at the deadline. */
export async function beforeDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  message: OutgoingMessage,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(confirmTimeout(message)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
