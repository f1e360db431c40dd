import { SagaToolkitError } from "./errors.js";
import type { Outcome } from "./outcome.js";
import type { MessageSpan } from "./message-spans.js";
import { buildTraced, publishTraced } from "./send.js";
import type { ReceiveOperation } from "./serve.js";
import type { Delivery, OutgoingMessage, Transport } from "./transport.js";

/**
 * Builds a handler's answer to a command, validated against the contract: to its reply_to on the default exchange,
 * with its correlation id (or, without one, its message id, the usual RPC convention). The reply's message id
 * derives from the command's, so a command handled twice (a redelivery after a crash) answers with the same id and
 * the requester can drop the copy. Anything wrong here is the handler's bug, thrown as a technical error: the
 * command is retried, then dead-lettered.
 */
export function buildReply(
  contractVersion: string,
  operation: ReceiveOperation,
  outcome: unknown,
  command: Delivery,
): OutgoingMessage {
  const { message, span } = buildTracedReply("create", contractVersion, operation, outcome, command);
  span.end();
  return message;
}

function buildTracedReply(
  spanOperation: "create" | "send",
  contractVersion: string,
  operation: ReceiveOperation,
  outcome: unknown,
  command: Delivery,
): { message: OutgoingMessage; span: MessageSpan } {
  if (!isOutcome(outcome)) {
    throw new SagaToolkitError(
      "HANDLER_INVALID_OUTCOME",
      `${operation.operationId} must return success(...) or failure(...)`,
      { operationId: operation.operationId },
    );
  }
  const spec = outcome.ok ? operation.replies?.success : operation.replies?.failure;
  if (!spec) {
    throw new SagaToolkitError(
      "HANDLER_INVALID_OUTCOME",
      `${operation.operationId} returned failure(...) but the contract declares no failure reply`,
      { operationId: operation.operationId },
    );
  }
  const { messageId, correlationId, replyTo } = command.properties;
  const route = { exchange: "", routingKey: replyTo ?? "" };
  return buildTraced(spanOperation, route, spec, outcome.reply, contractVersion, {
    correlationId: correlationId ?? messageId,
    ...(messageId ? { messageId: `${messageId}.reply` } : {}),
  });
}

/** Builds the reply (see buildReply) and publishes it; resolves when the broker confirms. */
export async function reply(
  transport: Transport,
  contractVersion: string,
  operation: ReceiveOperation,
  outcome: unknown,
  command: Delivery,
): Promise<void> {
  await publishTraced(transport, buildTracedReply("send", contractVersion, operation, outcome, command));
}

function isOutcome(value: unknown): value is Outcome<unknown, unknown> {
  return typeof value === "object" && value !== null && typeof (value as { ok?: unknown }).ok === "boolean";
}
