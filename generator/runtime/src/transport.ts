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
  /** 1 on the first delivery, then one more per redelivery (quorum queues count on the broker). */
  readonly deliveryCount: number;
  /** Settling twice, or after the delivering channel is gone, does nothing: the broker redelivers then. */
  ack(): void;
  nack(requeue: boolean): void;
}

/** A message as a queue holds it (what a sweep sees). */
export interface QueuedMessage {
  readonly body: Buffer;
  readonly properties: MessageProperties;
}

/** "remove" takes the message out of the queue (acked); "keep" leaves it where it was. */
export type SweepDecision = "keep" | "remove";

export interface Subscription {
  /** Stops new deliveries, lets the ones in flight settle (bounded wait), then releases the rest to the queue. */
  cancel(): Promise<void>;
}

export interface Transport {
  readonly kind: "amqp" | "in-process";
  /** False while the broker connection is down (health checks). */
  isConnected(): boolean;
  /**
   * Declares the queue with its dead-letter exchange `<name>.dlx` (fanout) and queue `<name>.dlq` (durable), and sets
   * x-dead-letter-exchange on the queue. Idempotent; remembered, so a reconnect declares it again.
   */
  declareQueue(spec: QueueSpec): Promise<void>;
  /**
   * Publishes persistent and mandatory; resolves when the broker confirms. Rejects AMQP_UNROUTABLE, AMQP_NACKED,
   * AMQP_CONFIRM_TIMEOUT or TRANSPORT_CLOSED. Survives reconnects: waits for a live channel and publishes again
   * (same message id) when the channel died before the confirm.
   */
  publish(message: OutgoingMessage): Promise<void>;
  /**
   * Consumes with manual acks and a prefetch; re-consumes after a reconnect. A delivery's ack or nack after its
   * channel died is a no-op (the broker redelivers it), never sent on the new channel.
   */
  consume(
    queue: string,
    onDelivery: (delivery: Delivery) => Promise<void>,
    options: { readonly prefetch: number },
  ): Promise<Subscription>;
  /**
   * Publishes a copy to `<queue>.dlx` with the original properties plus headers x-error-code, x-error-reason,
   * x-original-queue and x-original-type, waits for the confirm, then acks the original.
   */
  deadLetter(delivery: Delivery, code: ErrorCode, reason: string): Promise<void>;
  /**
   * Visits the ready messages of a queue, oldest first, up to `limit` (default 1000) of those there when it starts,
   * and removes or keeps each as `decide` says; kept ones stay in order. `decide` may publish (a replay) before it
   * answers "remove". A queue that does not exist is empty. For operators' tools, not for the message path.
   */
  sweep(
    queue: string,
    decide: (message: QueuedMessage) => Promise<SweepDecision>,
    options?: { readonly limit?: number },
  ): Promise<void>;
  /** Messages ready in a queue; undefined when the queue does not exist or the broker is unreachable. */
  queueDepth(queue: string): Promise<number | undefined>;
  /** Cancels the consumers (letting in-flight deliveries settle), then disconnects. Idempotent. */
  close(): Promise<void>;
}
