import type { Outcome } from "./outcome.js";
import { send } from "./send.js";
import type { ReceiveOperation } from "./serve.js";
import type { Delivery, Transport } from "./transport.js";

/**
 * Publishes a handler's answer to a command: to its reply_to on the default exchange, with its correlation id (or,
 * without one, its message id, the usual RPC convention). The reply's message id derives from the command's, so a
 * command handled twice (a redelivery after a crash) answers with the same id and the requester can drop the copy.
 * Anything wrong here is the handler's bug, thrown as a technical error: the command is retried, then dead-lettered.
 */
export async function reply(
  transport: Transport,
  contractVersion: string,
  operation: ReceiveOperation,
  outcome: unknown,
  command: Delivery,
): Promise<void> {
  if (!isOutcome(outcome)) {
    throw new Error(`${operation.operationId} must return success(...) or failure(...)`);
  }
  const spec = outcome.ok ? operation.replies?.success : operation.replies?.failure;
  if (!spec) {
    throw new Error(
      `${operation.operationId} returned failure(...) but the contract declares no failure reply`,
    );
  }
  const { messageId, correlationId, replyTo } = command.properties;
  // send() validates the reply against its schema before anything is published.
  await send(transport, { exchange: "", routingKey: replyTo ?? "" }, spec, outcome.reply, contractVersion, {
    correlationId: correlationId ?? messageId,
    ...(messageId ? { messageId: `${messageId}.reply` } : {}),
  });
}

function isOutcome(value: unknown): value is Outcome<unknown, unknown> {
  return typeof value === "object" && value !== null && typeof (value as { ok?: unknown }).ok === "boolean";
}
