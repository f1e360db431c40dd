import { randomUUID } from "node:crypto";
import { checkHeaders, encodeJson, parsePayload, type MessageSpec } from "./messages.js";
import type { Transport } from "./transport.js";

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
 * Validates and publishes one message with the AMQP properties of DESIGN §4; resolves when the broker confirms.
 * An invalid payload or header set throws MessageValidationError before anything touches the wire.
 */
export async function send<T>(
  transport: Transport,
  route: { readonly exchange: string; readonly routingKey: string },
  spec: MessageSpec<T>,
  payload: T,
  contractVersion: string,
  options: SendOptions,
): Promise<{ messageId: string }> {
  parsePayload(spec, payload);
  const headers = { contract_version: contractVersion, ...options.headers };
  checkHeaders(spec, headers);
  const messageId = options.messageId ?? randomUUID();
  await transport.publish({
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
  });
  return { messageId };
}
