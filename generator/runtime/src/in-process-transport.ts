import { SagaToolkitError, type ErrorCode } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import {
  deadLetterCopy,
  deadLetterExchange,
  deadLetterQueue,
  type Delivery,
  type OutgoingMessage,
  type QueueSpec,
  type Transport,
} from "./transport.js";

interface Stored {
  readonly message: OutgoingMessage;
  /** Deliveries so far. */
  deliveries: number;
}

interface Consumer {
  readonly onDelivery: (delivery: Delivery) => Promise<void>;
  readonly prefetch: number;
  inFlight: number;
  active: boolean;
}

interface Queue {
  readonly spec: QueueSpec;
  readonly ready: Stored[];
  unacked: number;
  readonly consumers: Consumer[];
  next: number;
}

export interface InProcessTransport extends Transport {
  /** What a queue holds now (tests and the dashboard). */
  inspect(queue: string): { ready: number; unacked: number; messages: readonly OutgoingMessage[] };
}

/**
 * A broker inside the process with the semantics services rely on: default-exchange routing by queue name,
 * mandatory publishing (unroutable rejects), manual acks with prefetch, redelivery with a delivery count, a
 * quorum-style delivery limit, and dead-letter exchanges. Deliveries are always asynchronous, never re-entrant.
 * For `npm start` without RabbitMQ and for fast tests; nothing survives the process.
 */
export function createInProcessTransport(options: { logger?: Logger } = {}): InProcessTransport {
  const logger = options.logger ?? silentLogger;
  const queues = new Map<string, Queue>();
  const deadLetterRoutes = new Map<string, string>();
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new SagaToolkitError("TRANSPORT_CLOSED", "the in-process transport is closed");
  };

  const schedule = (queue: Queue): void => void setImmediate(() => dispatch(queue));

  const dispatch = (queue: Queue): void => {
    if (closed) return;
    const active = queue.consumers.filter((c) => c.active);
    while (queue.ready.length > 0 && active.some((c) => c.inFlight < c.prefetch)) {
      const consumer = active[queue.next++ % active.length]!;
      if (consumer.inFlight >= consumer.prefetch) continue;
      const stored = queue.ready.shift()!;
      stored.deliveries++;
      consumer.inFlight++;
      queue.unacked++;
      deliver(queue, consumer, stored);
    }
  };

  const deliver = (queue: Queue, consumer: Consumer, stored: Stored): void => {
    let settled = false;
    const settle = (): boolean => {
      if (settled || closed) return false;
      settled = true;
      consumer.inFlight--;
      queue.unacked--;
      schedule(queue);
      return true;
    };
    const delivery: Delivery = {
      queue: queue.spec.name,
      body: stored.message.body,
      properties: {
        ...stored.message.properties,
        headers: {
          ...stored.message.properties.headers,
          ...(stored.deliveries > 1 ? { "x-delivery-count": stored.deliveries - 1 } : {}),
        },
      },
      deliveryCount: stored.deliveries,
      ack: () => void settle(),
      nack: (requeue) => {
        if (!settle()) return;
        const limit = Number(queue.spec.arguments["x-delivery-limit"] ?? Number.POSITIVE_INFINITY);
        if (requeue && stored.deliveries <= limit) queue.ready.push(stored);
        else
          route(deadLetterCopy(delivery, "HANDLER_FAILED", requeue ? "delivery limit exceeded" : "rejected"));
      },
    };
    consumer.onDelivery(delivery).catch((error: unknown) => {
      logger.error({ err: error, queue: queue.spec.name }, "in-process consumer failed; message requeued");
      delivery.nack(true);
    });
  };

  /** Puts a message in the queue its exchange and routing key lead to; false when none does. */
  const route = (message: OutgoingMessage): boolean => {
    const target = message.exchange === "" ? message.routingKey : deadLetterRoutes.get(message.exchange);
    const queue = target === undefined ? undefined : queues.get(target);
    if (!queue) return false;
    queue.ready.push({ message, deliveries: 0 });
    schedule(queue);
    return true;
  };

  const declare = (spec: QueueSpec): Queue => {
    let queue = queues.get(spec.name);
    if (!queue) {
      queue = { spec, ready: [], unacked: 0, consumers: [], next: 0 };
      queues.set(spec.name, queue);
    }
    return queue;
  };

  return {
    kind: "in-process",
    isConnected: () => !closed,

    async declareQueue(spec) {
      ensureOpen();
      declare(spec);
      declare({ name: deadLetterQueue(spec.name), durable: spec.durable, arguments: {} });
      deadLetterRoutes.set(deadLetterExchange(spec.name), deadLetterQueue(spec.name));
    },

    async publish(message) {
      ensureOpen();
      await new Promise((resolve) => setImmediate(resolve)); // a confirm is never synchronous
      if (!route(message)) {
        throw new SagaToolkitError(
          "AMQP_UNROUTABLE",
          `no queue for exchange "${message.exchange}" and routing key "${message.routingKey}"`,
          { exchange: message.exchange, routingKey: message.routingKey, type: message.properties.type },
        );
      }
    },

    async consume(queueName, onDelivery, { prefetch }) {
      ensureOpen();
      const queue = queues.get(queueName);
      if (!queue)
        throw new SagaToolkitError("AMQP_UNROUTABLE", `queue ${queueName} is not declared`, {
          queue: queueName,
        });
      const consumer: Consumer = { onDelivery, prefetch: Math.max(1, prefetch), inFlight: 0, active: true };
      queue.consumers.push(consumer);
      schedule(queue);
      return {
        async cancel() {
          consumer.active = false;
          queue.consumers.splice(queue.consumers.indexOf(consumer), 1);
        },
      };
    },

    async deadLetter(delivery: Delivery, code: ErrorCode, reason: string) {
      await this.publish(deadLetterCopy(delivery, code, reason));
      delivery.ack();
    },

    async queueDepth(queueName) {
      return queues.get(queueName)?.ready.length;
    },

    async close() {
      closed = true;
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
