import { describeIssues, hasCode, MessageValidationError, SagaToolkitError } from "./errors.js";
import { memoryDedup, type Dedup } from "./dedup.js";
import { silentLogger, type Logger } from "./logger.js";
import { checkHeaders, decodeJson, parsePayload, type MessageSpec } from "./messages.js";
import type { Outcome } from "./outcome.js";
import { send } from "./send.js";
import type { Delivery, QueueSpec, Transport } from "./transport.js";

export interface ReceiveOperation {
  /** The implementation's method name. */
  readonly operationId: string;
  readonly message: MessageSpec<unknown>;
  /** The replies the contract declares for this command; absent for messages that are not answered. */
  readonly replies?: { readonly success: MessageSpec<unknown>; readonly failure?: MessageSpec<unknown> };
}

/** One consumed queue of a service, as the generated handler binder describes it. */
export interface ServiceSpec {
  readonly service: string;
  readonly contractVersion: string;
  readonly queue: QueueSpec;
  readonly operations: readonly ReceiveOperation[];
}

export interface MessageContext {
  readonly messageId: string;
  readonly correlationId: string | undefined;
  readonly type: string;
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

export interface ServeOptions {
  readonly prefetch?: number;
  /** Deliveries before a technically failing message is dead-lettered. Default: the queue's x-delivery-limit, or 5. */
  readonly maxAttempts?: number;
  /** Wait before a failed message goes back to the queue (without blocking the others). */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly logger?: Logger;
  readonly dedup?: Dedup;
}

type Handler = (payload: unknown, context: MessageContext) => Promise<Outcome<unknown, unknown> | void>;

const defaultRetryDelay = (attempt: number): number => Math.min(100 * 2 ** (attempt - 1), 5000);

/**
 * Consumes a service's queue: decodes, validates, dispatches by message type, publishes the declared reply and acks
 * only after it is confirmed. Bad messages (malformed, unknown type, invalid) go to the dead-letter queue with the
 * reason at once; a handler that throws is retried with backoff and dead-lettered at the delivery limit. Nothing
 * is dropped silently and nothing blocks the messages behind it.
 */
export async function serve(
  transport: Transport,
  spec: ServiceSpec,
  implementation: object,
  options: ServeOptions = {},
): Promise<{ close(): Promise<void> }> {
  const logger = options.logger ?? silentLogger;
  const dedup = options.dedup ?? memoryDedup();
  const maxAttempts = options.maxAttempts ?? Number(spec.queue.arguments["x-delivery-limit"] ?? 5);
  const retryDelay = options.retryDelayMs ?? defaultRetryDelay;
  const operations = new Map(spec.operations.map((op) => [op.message.name, op]));
  for (const op of spec.operations) {
    if (typeof (implementation as Record<string, unknown>)[op.operationId] !== "function") {
      throw new TypeError(`${spec.service}: the implementation has no method ${op.operationId}`);
    }
  }

  const handle = async (delivery: Delivery): Promise<void> => {
    const { properties } = delivery;
    const log = {
      queue: delivery.queue,
      type: properties.type,
      messageId: properties.messageId,
      saga: properties.correlationId,
    };
    const operation = operations.get(properties.type);
    if (!operation) {
      logger.warn(log, "unknown message type; dead-lettered");
      return transport.deadLetter(
        delivery,
        "MSG_UNKNOWN_TYPE",
        `no operation of ${spec.service} receives type "${properties.type}"`,
      );
    }
    let payload: unknown;
    try {
      payload = decodeJson(delivery.body, properties.type);
      checkHeaders(operation.message, properties.headers);
      parsePayload(operation.message, payload);
      if (operation.replies && !properties.replyTo) {
        throw new SagaToolkitError(
          "MSG_MISSING_REPLY_TO",
          `${properties.type} expects a reply but has no reply_to`,
        );
      }
    } catch (error) {
      const code = error instanceof SagaToolkitError ? error.code : "MSG_INVALID_PAYLOAD";
      const reason =
        error instanceof MessageValidationError ? describeIssues(error.issues) : (error as Error).message;
      logger.warn({ ...log, code, reason }, "invalid message; dead-lettered");
      return transport.deadLetter(delivery, code, reason);
    }
    if (await dedup.has(properties.messageId)) {
      logger.info(log, "duplicate delivery; acknowledged without handling");
      return delivery.ack();
    }
    const context: MessageContext = {
      messageId: properties.messageId,
      correlationId: properties.correlationId,
      type: properties.type,
      deliveryCount: delivery.deliveryCount,
      headers: properties.headers,
      logger,
    };
    try {
      const handler = (implementation as Record<string, Handler>)[operation.operationId]!;
      const outcome = await handler.call(implementation, payload, context);
      if (operation.replies) await reply(operation, outcome, delivery);
      await dedup.add(properties.messageId);
      delivery.ack();
    } catch (error) {
      if (hasCode(error, "TRANSPORT_CLOSED")) return delivery.nack(true);
      const reason = error instanceof Error ? error.message : String(error);
      if (delivery.deliveryCount >= maxAttempts) {
        logger.error(
          { ...log, err: error, attempts: delivery.deliveryCount },
          "handler keeps failing; dead-lettered",
        );
        return transport.deadLetter(
          delivery,
          "HANDLER_FAILED",
          `${reason} (after ${delivery.deliveryCount} attempts)`,
        );
      }
      logger.warn(
        { ...log, err: error, attempt: delivery.deliveryCount },
        "handler failed; will be redelivered",
      );
      await new Promise((resolve) => setTimeout(resolve, retryDelay(delivery.deliveryCount)));
      delivery.nack(true);
    }
  };

  const reply = async (operation: ReceiveOperation, outcome: unknown, delivery: Delivery): Promise<void> => {
    const result = outcome as Outcome<unknown, unknown> | undefined;
    if (!result || typeof result !== "object" || typeof result.ok !== "boolean") {
      throw new Error(`${operation.operationId} must return success(...) or failure(...)`);
    }
    const replySpec = result.ok ? operation.replies!.success : operation.replies!.failure;
    if (!replySpec)
      throw new Error(
        `${operation.operationId} returned failure(...) but the contract declares no failure reply`,
      );
    // An invalid reply is a handler bug: send() throws before publishing, and the command is retried.
    await send(
      transport,
      { exchange: "", routingKey: delivery.properties.replyTo! },
      replySpec,
      result.reply,
      spec.contractVersion,
      { correlationId: delivery.properties.correlationId ?? "" },
    );
  };

  await transport.declareQueue(spec.queue);
  const consumer = await transport.consume(
    spec.queue.name,
    (delivery) =>
      handle(delivery).catch((error: unknown) => {
        // Only dead-lettering itself can get here (the broker is gone): the message stays on the broker.
        logger.error(
          { err: error, messageId: delivery.properties.messageId },
          "could not settle a message; requeued",
        );
        delivery.nack(true);
      }),
    { prefetch: options.prefetch ?? 16 },
  );
  return { close: () => consumer.cancel() };
}
