import { deadLetterCopy, deadLetterExchange, deadLetterQueue } from "./dead-letter.js";
import { SagaToolkitError, type ErrorCode } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import type { Delivery, OutgoingMessage, QueueSpec, Subscription, Transport } from "./transport.js";

/** How long cancel() lets in-flight deliveries settle before they go back to the queue, as on RabbitMQ. */
const SETTLE_MS = 5000;

interface Stored {
  readonly message: OutgoingMessage;
  /** Deliveries so far. */
  deliveries: number;
}

interface Subscriber {
  readonly onDelivery: (delivery: Delivery) => Promise<void>;
  readonly prefetch: number;
  /** Settles each unsettled delivery by requeueing it (used when the subscriber goes away). */
  readonly unsettled: Set<() => void>;
  active: boolean;
}

interface Queue {
  readonly spec: QueueSpec;
  readonly ready: Stored[];
  unacked: number;
  readonly subscribers: Subscriber[];
  /** Round-robin position among subscribers. */
  next: number;
}

export interface InProcessTransport extends Transport {
  /** What a queue holds now (tests and the dashboard): ready messages, oldest first, and the unacked count. */
  inspect(queue: string): { ready: number; unacked: number; messages: readonly OutgoingMessage[] };
}

/**
 * A broker inside the process with the semantics services rely on: default-exchange routing by queue name,
 * mandatory publishing (unroutable rejects), manual acks with prefetch, redelivery with a delivery count, a
 * quorum-style `x-delivery-limit`, and `<queue>.dlx` dead-letter exchanges routing into `<queue>.dlq`. Deliveries
 * are always asynchronous, never re-entrant. For `npm start` without RabbitMQ and for fast tests; nothing survives
 * the process, and only code in the same process can reach it.
 */
export function createInProcessTransport(options: { logger?: Logger } = {}): InProcessTransport {
  const logger = options.logger ?? silentLogger;
  const queues = new Map<string, Queue>();
  /** Exchange name -> queue it routes to (the dead-letter exchanges; everything else goes by the default one). */
  const exchanges = new Map<string, string>();
  const subscriptions = new Set<Subscription>();
  let closing: Promise<void> | undefined;
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new SagaToolkitError("TRANSPORT_CLOSED", "the in-process transport is closed");
  };

  const schedule = (queue: Queue): void => void setImmediate(() => dispatch(queue));

  const dispatch = (queue: Queue): void => {
    if (closed) return;
    const free = (s: Subscriber): boolean => s.active && s.unsettled.size < s.prefetch;
    while (queue.ready.length > 0 && queue.subscribers.some(free)) {
      const subscriber = queue.subscribers[queue.next++ % queue.subscribers.length]!;
      if (!free(subscriber)) continue;
      const stored = queue.ready.shift()!;
      stored.deliveries++;
      queue.unacked++;
      deliver(queue, subscriber, stored);
    }
  };

  const deliver = (queue: Queue, subscriber: Subscriber, stored: Stored): void => {
    let settled = false;
    const settle = (): boolean => {
      if (settled || closed) return false;
      settled = true;
      subscriber.unsettled.delete(requeue);
      queue.unacked--;
      schedule(queue);
      return true;
    };
    const requeue = (): void => {
      if (settle()) queue.ready.unshift(stored); // like a closed channel: back to the head of the queue
    };
    const { properties } = stored.message;
    const delivery: Delivery = {
      queue: queue.spec.name,
      body: stored.message.body,
      properties: {
        ...properties,
        // What a quorum queue adds on redelivery: how many times the message went back before.
        headers:
          stored.deliveries > 1
            ? { ...properties.headers, "x-delivery-count": stored.deliveries - 1 }
            : properties.headers,
      },
      deliveryCount: stored.deliveries,
      ack: () => void settle(),
      nack: (again) => {
        if (!settle()) return;
        const limit = Number(queue.spec.arguments["x-delivery-limit"] ?? Number.POSITIVE_INFINITY);
        if (again && stored.deliveries <= limit) queue.ready.push(stored);
        else {
          const reason = again ? `delivery limit ${limit} exceeded` : "rejected without requeue";
          if (!route(deadLetterCopy(delivery, "HANDLER_FAILED", reason))) {
            logger.warn(
              { queue: queue.spec.name, messageId: properties.messageId, reason },
              "dropped: no dead-letter queue",
            );
          }
        }
      },
    };
    subscriber.unsettled.add(requeue);
    // Through a promise, so that even a handler that throws synchronously cannot break the dispatch loop.
    new Promise<void>((resolve) => resolve(subscriber.onDelivery(delivery))).catch((error: unknown) => {
      logger.error({ err: error, queue: queue.spec.name }, "in-process delivery handler failed; requeued");
      delivery.nack(true);
    });
  };

  /** Puts a message in the queue its exchange and routing key lead to; false when none does. */
  const route = (message: OutgoingMessage): boolean => {
    const target = message.exchange === "" ? message.routingKey : exchanges.get(message.exchange);
    const queue = target === undefined ? undefined : queues.get(target);
    if (!queue) return false;
    // A copy, as a broker would hold: the publisher may reuse its buffer.
    queue.ready.push({ message: { ...message, body: Buffer.from(message.body) }, deliveries: 0 });
    schedule(queue);
    return true;
  };

  const declare = (spec: QueueSpec): void => {
    if (!queues.has(spec.name))
      queues.set(spec.name, { spec, ready: [], unacked: 0, subscribers: [], next: 0 });
  };

  async function publish(message: OutgoingMessage): Promise<void> {
    ensureOpen();
    await new Promise((resolve) => setImmediate(resolve)); // a confirm is never synchronous
    ensureOpen();
    if (!route(message)) {
      throw new SagaToolkitError(
        "AMQP_UNROUTABLE",
        `${message.properties.type}: nothing bound on ${message.exchange === "" ? "the default exchange" : `exchange "${message.exchange}"`} for routing key "${message.routingKey}"`,
        {
          exchange: message.exchange,
          routingKey: message.routingKey,
          messageId: message.properties.messageId,
        },
      );
    }
  }

  async function consume(
    queueName: string,
    onDelivery: (delivery: Delivery) => Promise<void>,
    { prefetch }: { readonly prefetch: number },
  ): Promise<Subscription> {
    ensureOpen();
    if (closing) throw new SagaToolkitError("TRANSPORT_CLOSED", "the in-process transport is closing");
    const queue = queues.get(queueName);
    if (!queue) {
      throw new SagaToolkitError("AMQP_UNROUTABLE", `queue "${queueName}" does not exist; declare it first`, {
        queue: queueName,
      });
    }
    const subscriber: Subscriber = {
      onDelivery,
      prefetch: Math.max(1, prefetch),
      unsettled: new Set(),
      active: true,
    };
    queue.subscribers.push(subscriber);
    schedule(queue);
    const subscription: Subscription = {
      async cancel() {
        if (!subscriber.active) return;
        subscriber.active = false;
        subscriptions.delete(subscription);
        queue.subscribers.splice(queue.subscribers.indexOf(subscriber), 1);
        const deadline = Date.now() + SETTLE_MS;
        while (subscriber.unsettled.size > 0 && Date.now() < deadline && !closed) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        for (const requeue of [...subscriber.unsettled]) requeue();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  /** Like the AMQP transport: consumers drain first (their handlers may still publish), then everything stops. */
  async function shutDown(): Promise<void> {
    await Promise.all([...subscriptions].map((s) => s.cancel()));
    closed = true;
  }

  return {
    kind: "in-process",
    isConnected: () => !closed,

    async declareQueue(spec) {
      ensureOpen();
      declare(spec);
      declare({ name: deadLetterQueue(spec.name), durable: true, arguments: {} });
      exchanges.set(deadLetterExchange(spec.name), deadLetterQueue(spec.name));
    },

    publish,
    consume,

    async deadLetter(delivery: Delivery, code: ErrorCode, reason: string) {
      await publish(deadLetterCopy(delivery, code, reason));
      delivery.ack();
    },

    async sweep(queueName, decide, sweepOptions = {}) {
      ensureOpen();
      const queue = queues.get(queueName);
      if (!queue) return;
      const visiting = queue.ready.slice(0, sweepOptions.limit ?? 1000);
      for (const stored of visiting) {
        const { body, properties } = stored.message;
        if ((await decide({ body, properties })) === "remove") {
          const at = queue.ready.indexOf(stored);
          if (at >= 0) queue.ready.splice(at, 1);
        }
      }
    },

    async queueDepth(queueName) {
      return queues.get(queueName)?.ready.length;
    },

    close() {
      closing ??= shutDown();
      return closing;
    },

    inspect(queueName) {
      const queue = queues.get(queueName);
      return {
        ready: queue?.ready.length ?? 0,
        unacked: queue?.unacked ?? 0,
        messages: queue?.ready.map((s) => s.message) ?? [],
      };
    },
  };
}
