import { newMessageId } from "./message-id.js";
import { checkHeaders, encodeJson, parsePayload, type MessageSpec } from "./messages.js";
import { startProducerSpan, type MessageSpan } from "./message-spans.js";
import { TRACEPARENT_HEADER } from "./trace.js";
import type { OutgoingMessage, Transport } from "./transport.js";

export interface SendOptions {
  /** The saga (or conversation) this message belongs to; replies carry it back. */
  readonly correlationId: string;
  /** Default: a new UUIDv7 (newMessageId). Reuse it when sending the same message again, so receivers can deduplicate. */
  readonly messageId?: string;
  /** Where the receiver should reply. */
  readonly replyTo?: string;
  /** More headers; they travel beside `contract_version` (and may replace it). */
  readonly headers?: Readonly<Record<string, unknown>>;
}

/**
 * Builds one message with the AMQP properties of DESIGN §4, ready to publish now or to store in an outbox.
 * An invalid payload or header set throws MessageValidationError, so nothing invalid is ever built.
 */
export function buildMessage<T>(
  route: { readonly exchange: string; readonly routingKey: string },
  spec: MessageSpec<T>,
  payload: T,
  contractVersion: string,
  options: SendOptions,
): OutgoingMessage {
  // Built to be stored (an outbox) or published later: its producer span is the message's creation.
  const { message, span } = buildTraced("create", route, spec, payload, contractVersion, options);
  span.end();
  return message;
}

/** buildMessage() with its producer span still open, for whoever publishes the message now. */
export function buildTraced<T>(
  operation: "create" | "send",
  route: { readonly exchange: string; readonly routingKey: string },
  spec: MessageSpec<T>,
  payload: T,
  contractVersion: string,
  options: SendOptions,
): { message: OutgoingMessage; span: MessageSpan } {
  parsePayload(spec, payload);
  const messageId = options.messageId ?? newMessageId();
  // Sent while handling a message (or inside withTrace()): the message continues that trace as a new hop.
  const span = startProducerSpan(operation, {
    "messaging.destination.name": route.exchange || route.routingKey,
    "messaging.rabbitmq.destination.routing_key": route.routingKey,
    "messaging.message.id": messageId,
    "messaging.message.conversation_id": options.correlationId,
    "asyncgen.message.type": spec.name,
  });
  const headers = {
    contract_version: contractVersion,
    ...(span.trace ? { [TRACEPARENT_HEADER]: span.trace.traceparent } : {}),
    ...options.headers,
  };
  try {
    checkHeaders(spec, headers);
  } catch (error) {
    span.fail("MSG_INVALID_HEADERS", String(error));
    span.end();
    throw error;
  }
  const message: OutgoingMessage = {
    exchange: route.exchange,
    routingKey: route.routingKey,
    body: encodeJson(payload),
    properties: {
      messageId,
      type: spec.name,
      correlationId: options.correlationId,
      replyTo: options.replyTo,
      timestamp: Math.floor(Date.now() / 1000),
      contentType: "application/json",
      headers,
    },
  };
  return { message, span };
}

/** Publishes a message built with buildTraced(); its span ends at the broker's confirm (failed on a refusal). */
export async function publishTraced(
  transport: Transport,
  built: { message: OutgoingMessage; span: MessageSpan },
): Promise<void> {
  try {
    await transport.publish(built.message);
  } catch (error) {
    built.span.fail(String((error as { code?: unknown }).code ?? "_OTHER"), String(error));
    throw error;
  } finally {
    built.span.end();
  }
}

/**
 * Validates and publishes one message (see buildMessage); resolves when the broker confirms. An invalid payload or
 * header set throws MessageValidationError before anything touches the wire.
 */
export async function send<T>(
  transport: Transport,
  route: { readonly exchange: string; readonly routingKey: string },
  spec: MessageSpec<T>,
  payload: T,
  contractVersion: string,
  options: SendOptions,
): Promise<{ messageId: string }> {
  const built = buildTraced("send", route, spec, payload, contractVersion, options);
  await publishTraced(transport, built);
  return { messageId: built.message.properties.messageId };
}
