import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import { SagaToolkitError, type ErrorCode } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import {
  deadLetterCopy,
  deadLetterExchange,
  deadLetterQueue,
  type Delivery,
  type MessageProperties,
  type OutgoingMessage,
  type QueueSpec,
  type Transport,
} from "./transport.js";

export interface AmqpOptions {
  /** Heartbeat interval; a dead peer is noticed after about two of them. Default 10 s. */
  readonly heartbeatSeconds?: number;
  /** How long publish() may take in all, reconnects included, before AMQP_CONFIRM_TIMEOUT. Default 30 s. */
  readonly confirmTimeoutMs?: number;
  readonly reconnect?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly logger?: Logger;
  /** Shown in the RabbitMQ management UI. */
  readonly connectionName?: string;
}

interface ConsumerRecord {
  readonly queue: string;
  readonly onDelivery: (delivery: Delivery) => Promise<void>;
  readonly prefetch: number;
  channel: Channel | undefined;
  cancelled: boolean;
}

/** Raised inside publish when the channel died before the confirm; publish then tries again on the next one. */
class ChannelLost extends Error {}

/**
 * Connects to RabbitMQ. Rejects AMQP_CONNECTION_LOST when nothing answers, so callers can fall back.
 * One connection per transport, Nagle off (`noDelay`: otherwise every sequential round trip waits ~40 ms), a confirm
 * channel for publishing, one channel per consumer. When the connection drops, it reconnects with exponential
 * backoff and jitter, declares the remembered queues again and re-creates the consumers.
 */
export async function connectAmqp(url: string, options: AmqpOptions = {}): Promise<Transport> {
  const transport = new AmqpTransport(url, options);
  await transport.open();
  return transport;
}

class AmqpTransport implements Transport {
  readonly kind = "amqp";
  readonly #url: string;
  readonly #options: AmqpOptions;
  readonly #logger: Logger;
  readonly #queues = new Map<string, QueueSpec>();
  readonly #consumers = new Set<ConsumerRecord>();
  /** Message ids the broker returned as unroutable; the confirm that follows a return rejects. */
  readonly #returned = new Set<string>();
  #model: ChannelModel | undefined;
  #publisher: ConfirmChannel | undefined;
  #closed = false;
  #reconnecting = false;
  #waiters: (() => void)[] = [];
  #drained: Promise<void> | undefined;

  constructor(url: string, options: AmqpOptions) {
    const heartbeat = options.heartbeatSeconds ?? 10;
    this.#url = /[?&]heartbeat=/.test(url)
      ? url
      : `${url}${url.includes("?") ? "&" : "?"}heartbeat=${heartbeat}`;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  isConnected(): boolean {
    return this.#publisher !== undefined && !this.#closed;
  }

  async open(): Promise<void> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(this.#url, {
        noDelay: true,
        clientProperties: { connection_name: this.#options.connectionName ?? "saga-runtime" },
      });
    } catch (error) {
      throw new SagaToolkitError(
        "AMQP_CONNECTION_LOST",
        `cannot connect to RabbitMQ: ${(error as Error).message}`,
        {},
        {
          cause: error,
        },
      );
    }
    model.on("error", (error: Error) => this.#logger.warn({ err: error }, "amqp connection error"));
    model.on("close", () => this.#lost(model));
    try {
      const publisher = await model.createConfirmChannel();
      publisher.on("error", (error: Error) =>
        this.#logger.warn({ err: error }, "amqp publish channel error"),
      );
      publisher.on("return", (message: ConsumeMessage) => {
        if (typeof message.properties.messageId === "string")
          this.#returned.add(message.properties.messageId);
      });
      publisher.on("close", () => {
        if (this.#publisher === publisher) this.#publisher = undefined;
        if (!this.#closed && this.#model === model) void model.close().catch(() => {}); // reconnect cleanly
      });
      publisher.on("drain", () => (this.#drained = undefined));
      this.#model = model;
      for (const spec of this.#queues.values()) await this.#declare(model, spec);
      for (const consumer of this.#consumers)
        if (!consumer.cancelled) await this.#startConsumer(model, consumer);
      this.#publisher = publisher;
    } catch (error) {
      await model.close().catch(() => {});
      throw error;
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    this.#publisher = undefined;
    for (const consumer of this.#consumers) consumer.channel = undefined;
    if (this.#closed || this.#reconnecting) return;
    this.#logger.warn({}, "amqp connection lost; reconnecting");
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    this.#reconnecting = true;
    const { initialDelayMs, maxDelayMs } = this.#options.reconnect ?? {
      initialDelayMs: 100,
      maxDelayMs: 5000,
    };
    let delay = initialDelayMs;
    while (!this.#closed) {
      await sleep(delay / 2 + Math.random() * delay);
      try {
        await this.open();
        this.#logger.info({}, "amqp reconnected; queues declared and consumers restored");
        break;
      } catch (error) {
        this.#logger.warn({ err: error, retryInMs: delay }, "amqp reconnect failed");
        delay = Math.min(delay * 2, maxDelayMs);
      }
    }
    this.#reconnecting = false;
  }

  async #declare(model: ChannelModel, spec: QueueSpec): Promise<void> {
    // A failed declaration closes its channel, so it never happens on the publishing channel.
    const channel = await model.createChannel();
    try {
      await channel.assertExchange(deadLetterExchange(spec.name), "fanout", { durable: spec.durable });
      await channel.assertQueue(deadLetterQueue(spec.name), { durable: spec.durable });
      await channel.bindQueue(deadLetterQueue(spec.name), deadLetterExchange(spec.name), "");
      await channel.assertQueue(spec.name, {
        durable: spec.durable,
        arguments: { ...spec.arguments, "x-dead-letter-exchange": deadLetterExchange(spec.name) },
      });
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async declareQueue(spec: QueueSpec): Promise<void> {
    this.#ensureOpen();
    this.#queues.set(spec.name, spec);
    const model = this.#model;
    if (model) await this.#declare(model, spec);
  }

  async #startConsumer(model: ChannelModel, consumer: ConsumerRecord): Promise<void> {
    const channel = await model.createChannel();
    channel.on("error", (error: Error) =>
      this.#logger.warn({ err: error, queue: consumer.queue }, "amqp consumer channel error"),
    );
    channel.on("close", () => {
      if (consumer.channel !== channel) return;
      consumer.channel = undefined;
      // The channel died alone (the connection lives on): consume again on a new one.
      if (!consumer.cancelled && this.#model === model && !this.#closed) {
        void this.#startConsumer(model, consumer).catch((error: unknown) =>
          this.#logger.error({ err: error, queue: consumer.queue }, "amqp consumer restart failed"),
        );
      }
    });
    await channel.prefetch(consumer.prefetch);
    consumer.channel = channel;
    await channel.consume(consumer.queue, (message) => {
      if (message) this.#deliver(consumer, channel, message);
    });
  }

  #deliver(consumer: ConsumerRecord, channel: Channel, message: ConsumeMessage): void {
    // An ack is only valid on the channel that delivered the message; after that channel is gone, the broker
    // redelivers the message, so acking it anywhere else would be wrong. Settling twice is ignored.
    let settled = false;
    const live = (): boolean => !settled && consumer.channel === channel;
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const previous =
      typeof headers["x-delivery-count"] === "number"
        ? headers["x-delivery-count"]
        : message.fields.redelivered
          ? 1
          : 0;
    const delivery: Delivery = {
      queue: consumer.queue,
      body: message.content,
      properties: propertiesOf(message),
      deliveryCount: previous + 1,
      ack: () => {
        if (live()) channel.ack(message);
        settled = true;
      },
      nack: (requeue) => {
        if (live()) channel.nack(message, false, requeue);
        settled = true;
      },
    };
    consumer.onDelivery(delivery).catch((error: unknown) => {
      this.#logger.error({ err: error, queue: consumer.queue }, "consumer failed; message requeued");
      delivery.nack(true);
    });
  }

  async consume(
    queue: string,
    onDelivery: (delivery: Delivery) => Promise<void>,
    options: { readonly prefetch: number },
  ): Promise<{ cancel(): Promise<void> }> {
    this.#ensureOpen();
    const consumer: ConsumerRecord = {
      queue,
      onDelivery,
      prefetch: Math.max(1, options.prefetch),
      channel: undefined,
      cancelled: false,
    };
    this.#consumers.add(consumer);
    const model = this.#model;
    if (model) await this.#startConsumer(model, consumer);
    return {
      cancel: async () => {
        consumer.cancelled = true;
        this.#consumers.delete(consumer);
        const channel = consumer.channel;
        consumer.channel = undefined;
        await channel?.close().catch(() => {});
      },
    };
  }

  async publish(message: OutgoingMessage): Promise<void> {
    const deadline = Date.now() + (this.#options.confirmTimeoutMs ?? 30_000);
    for (;;) {
      this.#ensureOpen();
      const publisher = await this.#channelBefore(deadline, message);
      try {
        await this.#publishOnce(publisher, message, deadline);
        return;
      } catch (error) {
        if (!(error instanceof ChannelLost)) throw error;
        this.#logger.warn(
          { messageId: message.properties.messageId },
          "channel lost before confirm; publishing again",
        );
      }
    }
  }

  async #channelBefore(deadline: number, message: OutgoingMessage): Promise<ConfirmChannel> {
    while (!this.#publisher) {
      this.#ensureOpen();
      const left = deadline - Date.now();
      if (left <= 0) throw confirmTimeout(message);
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push(resolve)),
        sleep(Math.min(left, 1000)),
      ]);
    }
    await this.#drained;
    return this.#publisher;
  }

  #publishOnce(publisher: ConfirmChannel, message: OutgoingMessage, deadline: number): Promise<void> {
    const { properties } = message;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(confirmTimeout(message)), Math.max(0, deadline - Date.now()));
      try {
        const accepted = publisher.publish(
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
          (error: unknown) => {
            clearTimeout(timer);
            if (this.#returned.delete(properties.messageId)) {
              reject(
                new SagaToolkitError(
                  "AMQP_UNROUTABLE",
                  `no queue for exchange "${message.exchange}" and routing key "${message.routingKey}"`,
                  { exchange: message.exchange, routingKey: message.routingKey, type: properties.type },
                ),
              );
            } else if (!error) resolve();
            else if (error instanceof Error && error.message === "message nacked") {
              reject(
                new SagaToolkitError("AMQP_NACKED", `the broker refused ${properties.type}`, {
                  messageId: properties.messageId,
                }),
              );
            } else reject(new ChannelLost(String(error)));
          },
        );
        if (!accepted) this.#drained ??= new Promise((resolve) => publisher.once("drain", () => resolve()));
      } catch {
        clearTimeout(timer);
        reject(new ChannelLost("channel closed")); // publish on a channel that just closed throws synchronously
      }
    });
  }

  async deadLetter(delivery: Delivery, code: ErrorCode, reason: string): Promise<void> {
    await this.publish(deadLetterCopy(delivery, code, reason));
    delivery.ack();
  }

  async queueDepth(queue: string): Promise<number | undefined> {
    const model = this.#model;
    if (!model) return undefined;
    // checkQueue on a missing queue closes its channel, so it gets one of its own.
    const channel = await model.createChannel();
    channel.on("error", () => {});
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const consumer of this.#consumers) consumer.cancelled = true;
    const model = this.#model;
    this.#model = undefined;
    this.#publisher = undefined;
    for (const wake of this.#waiters.splice(0)) wake();
    await model?.close().catch(() => {});
  }

  #ensureOpen(): void {
    if (this.#closed) throw new SagaToolkitError("TRANSPORT_CLOSED", "the AMQP transport is closed");
  }
}

function propertiesOf(message: ConsumeMessage): MessageProperties {
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

function confirmTimeout(message: OutgoingMessage): SagaToolkitError {
  return new SagaToolkitError("AMQP_CONFIRM_TIMEOUT", `no confirm for ${message.properties.type} in time`, {
    messageId: message.properties.messageId,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
