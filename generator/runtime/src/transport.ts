import type { ErrorCode } from "./errors.js";

export interface QueueSpec {
  readonly name: string;
  readonly durable: boolean;
  /** Queue arguments from the contract's binding, e.g. `{ "x-queue-type": "quorum", "x-delivery-limit": 5 }`. */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** The AMQP properties of DESIGN §4. */
export interface MessageProperties {
  readonly messageId: string;
  readonly type: string;
  readonly correlationId?: string | undefined;
  readonly replyTo?: string | undefined;
  /** Unix seconds, as AMQP carries it. */
  readonly timestamp: number;
  readonly contentType: "application/json";
  readonly headers: Readonly<Record<string, unknown>>;
}

export interface OutgoingMessage {
  /** `""` is the default exchange, which routes by queue name. */
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: MessageProperties;
}

export interface Delivery {
  readonly queue: string;
  readonly body: Buffer;
  readonly properties: MessageProperties;
  /** 1 on the first delivery, then one more per redelivery. */
  readonly deliveryCount: number;
  ack(): void;
  nack(requeue: boolean): void;
}

/** The dead-letter exchange and queue every declared queue gets. */
export const deadLetterExchange = (queue: string): string => `${queue}.dlx`;
export const deadLetterQueue = (queue: string): string => `${queue}.dlq`;

export interface Transport {
  readonly kind: "amqp" | "in-process";
  /** False while the broker connection is down (health checks). */
  isConnected(): boolean;
  /**
   * Declares the queue, its dead-letter exchange `<name>.dlx` and queue `<name>.dlq`. Idempotent; remembered so a
   * reconnect declares it again.
   */
  declareQueue(spec: QueueSpec): Promise<void>;
  /**
   * Publishes persistent and mandatory; resolves when the broker confirms. Rejects AMQP_UNROUTABLE, AMQP_NACKED,
   * AMQP_CONFIRM_TIMEOUT or TRANSPORT_CLOSED. Survives reconnects by publishing again (same message id).
   */
  publish(message: OutgoingMessage): Promise<void>;
  /** Consumes with manual acks and a prefetch; re-consumes after a reconnect. */
  consume(
    queue: string,
    onDelivery: (delivery: Delivery) => Promise<void>,
    options: { readonly prefetch: number },
  ): Promise<{ cancel(): Promise<void> }>;
  /**
   * Publishes a copy to the queue's dead-letter exchange with the reason in headers (x-error-code, x-error-reason,
   * x-original-queue, x-original-type), waits for the confirm, then acks the original.
   */
  deadLetter(delivery: Delivery, code: ErrorCode, reason: string): Promise<void>;
  /** Messages waiting in a queue; undefined when the queue does not exist (dashboards, health). */
  queueDepth(queue: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/** The copy of a delivery that goes to its dead-letter queue. */
export function deadLetterCopy(delivery: Delivery, code: ErrorCode, reason: string): OutgoingMessage {
  return {
    exchange: deadLetterExchange(delivery.queue),
    routingKey: delivery.queue,
    body: delivery.body,
    properties: {
      ...delivery.properties,
      headers: {
        ...delivery.properties.headers,
        "x-error-code": code,
        "x-error-reason": reason.slice(0, 4000),
        "x-original-queue": delivery.queue,
        "x-original-type": delivery.properties.type,
        "x-delivery-count": delivery.deliveryCount,
      },
    },
  };
}
