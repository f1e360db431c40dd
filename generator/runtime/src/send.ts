import { randomUUID } from "node:crypto";
import { checkHeaders, encodeJson, parsePayload, type MessageSpec } from "./messages.js";
import { childTrace, currentTrace, TRACEPARENT_HEADER } from "./trace.js";
import type { OutgoingMessage, Transport } from "./transport.js";

export interface SendOptions {
  /** The saga (or conversation) this message belongs to; replies carry it back. */
  readonly correlationId: string;
  /** Default: a new UUID. Reuse it when sending the same message again, so receivers can deduplicate. */
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
  parsePayload(spec, payload);
  // Sent while handling a message (or inside withTrace()): the message continues that trace as a new hop.
  const trace = currentTrace();
  const headers = {
    contract_version: contractVersion,
    ...(trace ? { [TRACEPARENT_HEADER]: childTrace(trace).traceparent } : {}),
    ...options.headers,
  };
  checkHeaders(spec, headers);
  return {
    exchange: route.exchange,
    routingKey: route.routingKey,
    body: encodeJson(payload),
    properties: {
      messageId: options.messageId ?? randomUUID(),
      type: spec.name,
      correlationId: options.correlationId,
      replyTo: options.replyTo,
      timestamp: Math.floor(Date.now() / 1000),
      contentType: "application/json",
      headers,
    },
  };
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
  const message = buildMessage(route, spec, payload, contractVersion, options);
  await transport.publish(message);
  return { messageId: message.properties.messageId };
}
