import amqp, { type ChannelModel } from "amqplib";
import { RedeliveryCounts } from "./amqp-consumer.js";
import { ChannelLost, ConfirmPublisher, unroutable } from "./amqp-publisher.js";
import { SupervisedConsumer } from "./amqp-supervisor.js";
import { declareTopology, exchangeExists, isNotFound, readyCount } from "./amqp-topology.js";
import { sweepQueue } from "./amqp-sweep.js";
import { amqpSocket, batchWritesPerTurn } from "./amqp-write-batching.js";
import { deadLetterCopy, deadLetterExchange } from "./dead-letter.js";
import { SagaToolkitError, messageOf, type ErrorCode } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import { backoffDelay, sleep, type Backoff } from "./timing.js";
import type {
  Delivery,
  OutgoingMessage,
  QueuedMessage,
  QueueSpec,
  Subscription,
  SweepDecision,
  Transport,
} from "./transport.js";

export interface AmqpOptions {
  /** Heartbeat interval; a dead peer is noticed after about two of them. Default 10 s. */
  readonly heartbeatSeconds?: number;
  /** Used by consume() calls that pass a prefetch below 1. Default 16. */
  readonly prefetch?: number;
  /** How long publish() may take in all, reconnects included, before AMQP_CONFIRM_TIMEOUT. Default 30 s. */
  readonly confirmTimeoutMs?: number;
  /** TCP + AMQP handshake limit for each connection attempt. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Backoff between reconnect attempts (exponential, with jitter). Default 100 ms doubling up to 5 s. */
  readonly reconnect?: Backoff;
  readonly logger?: Logger;
  /** Shown in the RabbitMQ management UI. */
  readonly connectionName?: string;
}

/** How long cancel() and close() let in-flight deliveries finish before the broker gets them back. */
const SETTLE_MS = 5000;

/**
 * Connects to RabbitMQ; rejects AMQP_CONNECTION_LOST when nothing answers, so callers can fall back. One connection
 * per transport with Nagle off (`noDelay`: otherwise each sequential round trip waits ~40 ms for a delayed ACK), a
 * confirm channel for publishing and one channel per consumer. A lost connection is re-established with
 * exponential backoff and jitter; the remembered queues are declared again and the consumers re-created.
 */
export async function connectAmqp(url: string, options: AmqpOptions = {}): Promise<Transport> {
  const transport = new AmqpTransport(url, options);
  await transport.connect();
  return transport;
}

class AmqpTransport implements Transport {
  readonly kind = "amqp";
  readonly #url: string;
  readonly #options: AmqpOptions;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #queues = new Map<string, QueueSpec>();
  readonly #consumers = new Set<SupervisedConsumer>();
  /** Exchanges seen to exist. Publishing to a missing one closes the channel (404), so it is checked first. */
  readonly #exchanges = new Set<string>([""]);
  readonly #counts = new RedeliveryCounts();
  readonly #waiters = new Set<() => void>();
  #model: ChannelModel | undefined;
  #publisher: ConfirmPublisher | undefined;
  #state: "open" | "closing" | "closed" = "open";
  #reconnecting = false;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: AmqpOptions) {
    // amqplib takes the heartbeat from the URL (or a URL object), not from the socket options.
    const heartbeat = `heartbeat=${options.heartbeatSeconds ?? 10}`;
    this.#url = /[?&]heartbeat=/.test(url) ? url : `${url}${url.includes("?") ? "&" : "?"}${heartbeat}`;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = options.reconnect ?? { initialDelayMs: 100, maxDelayMs: 5000 };
  }

  isConnected(): boolean {
    return this.#state === "open" && this.#publisher?.isOpen === true;
  }

  /** One connection attempt with everything on it: queues, publisher, consumers. */
  async connect(): Promise<void> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(this.#url, {
        noDelay: true,
        timeout: this.#options.connectTimeoutMs ?? 5000,
        clientProperties: { connection_name: this.#options.connectionName ?? "saga-runtime" },
      });
    } catch (error) {
      const url = this.#url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
      throw new SagaToolkitError(
        "AMQP_CONNECTION_LOST",
        `cannot connect to RabbitMQ at ${url}: ${messageOf(error)}`,
        { url },
        { cause: error },
      );
    }
    const socket = amqpSocket(model);
    if (socket) batchWritesPerTurn(socket);
    else
      this.#logger.warn(
        {},
        "amqplib's socket not found: frames are written one by one (slower, still correct)",
      );
    let alive = true;
    model.on("error", (error: Error) => this.#logger.warn({ err: error }, "amqp connection error"));
    model.on("blocked", (reason: string) => this.#logger.warn({ reason }, "amqp connection blocked"));
    model.on("unblocked", () => this.#logger.info({}, "amqp connection unblocked"));
    model.once("close", () => {
      alive = false;
      this.#lost(model);
    });
    try {
      for (const spec of this.#queues.values()) await declareTopology(model, spec);
      const publisher = await this.#openPublisher(model);
      if (!alive) throw new SagaToolkitError("AMQP_CONNECTION_LOST", "connection closed while setting it up");
      if (this.#state !== "open")
        throw new SagaToolkitError("TRANSPORT_CLOSED", "the AMQP transport is closed");
      this.#model = model;
      this.#publisher = publisher;
    } catch (error) {
      await model.close().catch(() => {});
      throw error;
    }
    // A consumer that cannot start (its queue is gone) retries on its own instead of failing the connection.
    for (const consumer of this.#consumers) void consumer.restart(model, false);
    this.#wake();
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return; // a connection that never finished setting up: connect() reports it
    this.#model = undefined;
    this.#publisher = undefined;
    for (const consumer of this.#consumers) consumer.detach();
    if (this.#state !== "open" || this.#reconnecting) return;
    this.#logger.warn({}, "amqp connection lost; reconnecting");
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    this.#reconnecting = true;
    for (let attempt = 0; this.#state === "open"; attempt++) {
      await sleep(backoffDelay(attempt, this.#backoff));
      if (this.#state !== "open") break;
      try {
        await this.connect();
        this.#logger.info({ attempts: attempt + 1 }, "amqp reconnected; queues declared, consumers restored");
        break;
      } catch (error) {
        this.#logger.warn({ err: error, attempt: attempt + 1 }, "amqp reconnect failed");
      }
    }
    this.#reconnecting = false;
  }

  async #openPublisher(model: ChannelModel): Promise<ConfirmPublisher> {
    const publisher = await ConfirmPublisher.open(model, {
      onError: (error) => this.#logger.warn({ err: error }, "amqp publish channel error"),
      onClose: () => {
        if (this.#publisher !== publisher) return;
        this.#publisher = undefined;
        // Whatever closed it (most often a deleted exchange) is checked again before the next publish.
        this.#exchanges.clear();
        this.#exchanges.add("");
        if (this.#model === model && this.#state !== "closed") void this.#replacePublisher(model);
      },
    });
    return publisher;
  }

  /** The publishing channel died alone: open another on the same connection, or reconnect if that fails. */
  async #replacePublisher(model: ChannelModel): Promise<void> {
    try {
      const publisher = await this.#openPublisher(model);
      if (this.#model !== model) return void (await publisher.close());
      this.#publisher = publisher;
      this.#wake();
    } catch (error) {
      this.#logger.warn({ err: error }, "cannot reopen the publish channel; reconnecting");
      await model.close().catch(() => {});
    }
  }

  async declareQueue(spec: QueueSpec): Promise<void> {
    const model = await this.#connected(Date.now() + this.#confirmTimeout());
    await declareTopology(model, spec);
    this.#exchanges.add(deadLetterExchange(spec.name));
    this.#queues.set(spec.name, spec); // remembered only once it worked, or every reconnect would fail on it
  }

  async consume(
    queue: string,
    onDelivery: (delivery: Delivery) => Promise<void>,
    options: { readonly prefetch: number },
  ): Promise<Subscription> {
    const model = await this.#connected(Date.now() + this.#confirmTimeout());
    if (this.#state !== "open")
      throw new SagaToolkitError("TRANSPORT_CLOSED", "the AMQP transport is closing");
    const prefetch = options.prefetch >= 1 ? options.prefetch : (this.#options.prefetch ?? 16);
    const consumer = new SupervisedConsumer(queue, onDelivery, prefetch, {
      logger: this.#logger,
      counts: this.#counts,
      backoff: this.#backoff,
      currentModel: () => (this.#state === "open" ? this.#model : undefined),
      declared: (name) => this.#queues.get(name),
    });
    try {
      await consumer.start(model);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new SagaToolkitError("AMQP_UNROUTABLE", `queue "${queue}" does not exist; declare it first`, {
        queue,
      });
    }
    this.#consumers.add(consumer);
    return {
      cancel: async () => {
        this.#consumers.delete(consumer);
        await consumer.cancel(SETTLE_MS);
      },
    };
  }

  async publish(message: OutgoingMessage): Promise<void> {
    const deadline = Date.now() + this.#confirmTimeout();
    for (;;) {
      const model = await this.#connected(deadline, message);
      const publisher = this.#publisher;
      try {
        if (!publisher) throw new ChannelLost("no publish channel");
        if (!this.#exchanges.has(message.exchange)) {
          const exists = await exchangeExists(model, message.exchange).catch((error: unknown) => {
            throw new ChannelLost(messageOf(error));
          });
          if (!exists) throw unroutable(message, " (the exchange does not exist)");
          this.#exchanges.add(message.exchange);
        }
        await publisher.publish(message, deadline);
        return;
      } catch (error) {
        if (!(error instanceof ChannelLost)) throw error;
        const { messageId, type } = message.properties;
        this.#logger.warn({ messageId, type }, "channel lost before the confirm; publishing again");
      }
    }
  }

  async deadLetter(delivery: Delivery, code: ErrorCode, reason: string): Promise<void> {
    await this.publish(deadLetterCopy(delivery, code, reason));
    delivery.ack();
  }

  async sweep(
    queue: string,
    decide: (message: QueuedMessage) => Promise<SweepDecision>,
    options: { readonly limit?: number } = {},
  ): Promise<void> {
    const model = await this.#connected(Date.now() + this.#confirmTimeout());
    await sweepQueue(model, queue, decide, options.limit ?? 1000);
  }

  async queueDepth(queue: string): Promise<number | undefined> {
    const model = this.#model;
    return model ? readyCount(model, queue).catch(() => undefined) : undefined;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    // "closing": in-flight handlers may still publish their replies while their consumers drain.
    this.#state = "closing";
    await Promise.all([...this.#consumers].map((consumer) => consumer.cancel(SETTLE_MS)));
    this.#state = "closed";
    this.#wake();
    const model = this.#model;
    this.#model = undefined;
    this.#publisher = undefined;
    await model?.close().catch(() => {});
  }

  /** Waits for a connection with a live publish channel; rejects TRANSPORT_CLOSED, or AMQP_* at the deadline. */
  async #connected(deadline: number, message?: OutgoingMessage): Promise<ChannelModel> {
    for (;;) {
      const model = this.#model;
      if (this.#state === "closed" || (this.#state === "closing" && !model)) {
        throw new SagaToolkitError("TRANSPORT_CLOSED", "the AMQP transport is closed");
      }
      if (model && this.#publisher?.isOpen) return model;
      const left = deadline - Date.now();
      if (left <= 0) {
        const what = message ? `${message.properties.type}: ` : "";
        const context = message ? { messageId: message.properties.messageId } : {};
        const code = message ? "AMQP_CONFIRM_TIMEOUT" : "AMQP_CONNECTION_LOST";
        throw new SagaToolkitError(code, `${what}the broker stayed unreachable until the deadline`, context);
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 1000));
        this.#waiters.add(done);
      });
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #confirmTimeout(): number {
    return this.#options.confirmTimeoutMs ?? 30_000;
  }
}
