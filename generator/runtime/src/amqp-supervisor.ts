import type { ChannelModel } from "amqplib";
import { ChannelConsumer, type RedeliveryCounts } from "./amqp-consumer.js";
import { declareTopology } from "./amqp-topology.js";
import { SagaToolkitError } from "./errors.js";
import type { Logger } from "./logger.js";
import { backoffDelay, sleep, type Backoff } from "./timing.js";
import type { Delivery, QueueSpec } from "./transport.js";

/** What a supervised consumer needs to know about the transport it belongs to. */
export interface SupervisorContext {
  readonly logger: Logger;
  readonly counts: RedeliveryCounts;
  readonly backoff: Backoff;
  /** The live connection, or undefined while reconnecting (the transport then starts consumers itself). */
  currentModel(): ChannelModel | undefined;
  /** A queue declared through the transport, to declare again if it disappeared. */
  declared(queue: string): QueueSpec | undefined;
}

/**
 * Keeps one consume() alive on whatever connection the transport has: when its channel dies alone, or the broker
 * cancels it (queue deleted), it starts again after a backoff, declaring the queue anew when the transport knows it.
 * A connection loss is the transport's to handle: it calls start() again after reconnecting.
 */
export class SupervisedConsumer {
  readonly queue: string;
  readonly #onDelivery: (delivery: Delivery) => Promise<void>;
  readonly #prefetch: number;
  readonly #context: SupervisorContext;
  #active: ChannelConsumer | undefined;
  #cancelled = false;
  #restarts = 0;

  constructor(
    queue: string,
    onDelivery: (delivery: Delivery) => Promise<void>,
    prefetch: number,
    context: SupervisorContext,
  ) {
    this.queue = queue;
    this.#onDelivery = onDelivery;
    this.#prefetch = prefetch;
    this.#context = context;
  }

  /** Consumes on `model`; throws when that fails (a missing queue: 404). */
  async start(model: ChannelModel): Promise<void> {
    const consumer: ChannelConsumer = await ChannelConsumer.start(
      model,
      this.queue,
      this.#prefetch,
      this.#onDelivery,
      {
        logger: this.#context.logger,
        counts: this.#context.counts,
        onLost: () => {
          if (this.#active !== consumer) return; // replaced or cancelled meanwhile
          this.#active = undefined;
          if (this.#context.currentModel() === model) void this.restart(model, true);
        },
      },
    );
    if (!consumer.isLive) {
      throw new SagaToolkitError(
        "AMQP_CONNECTION_LOST",
        `consumer channel for ${this.queue} closed while starting`,
        { queue: this.queue },
      );
    }
    if (this.#cancelled) return void (await consumer.cancel(0)); // cancelled while starting
    this.#active = consumer;
    this.#restarts = 0;
  }

  /** Starts on `model` (after a backoff when `wait`), retrying until it works, is cancelled, or `model` is gone. */
  async restart(model: ChannelModel, wait: boolean): Promise<void> {
    if (wait) await sleep(backoffDelay(this.#restarts++, this.#context.backoff));
    if (this.#cancelled || this.#active || this.#context.currentModel() !== model) return;
    try {
      const spec = this.#context.declared(this.queue);
      if (wait && spec) await declareTopology(model, spec); // the queue may have been deleted
      await this.start(model);
    } catch (error) {
      this.#context.logger.warn(
        { err: error, queue: this.queue },
        "amqp consumer start failed; trying again",
      );
      void this.restart(model, true);
    }
  }

  /** The connection died: its channels with it. */
  detach(): void {
    this.#active = undefined;
  }

  async cancel(settleMs: number): Promise<void> {
    this.#cancelled = true;
    const active = this.#active;
    this.#active = undefined;
    await active?.cancel(settleMs);
  }
}
