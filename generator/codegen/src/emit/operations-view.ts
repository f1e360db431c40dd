import { codegenError } from "../errors.js";
import { camelCase } from "../model/names.js";
import type { ChannelModel, MessageModel, OperationModel, ServiceModel } from "../model/service-model.js";
import { docLines } from "./templates.js";

/** Where a message is published: a queue through the default exchange, or an exchange with a routing key. */
export function routeOf(channel: ChannelModel): { exchange: string; routingKey: string } {
  if (channel.exchange) return { exchange: channel.exchange.name, routingKey: channel.address };
  return { exchange: "", routingKey: channel.queue?.name ?? channel.address };
}

/**
 * A command's replies by role. The contract lists them in `reply.messages`; the one whose wire name ends in
 * `.failure` is the business-refusal reply, the other the success reply. Undefined without replies, and when the
 * replies do not fit that shape (see repliesFit).
 */
export function repliesOf(
  operation: OperationModel,
): { success: MessageModel; failure: MessageModel | undefined } | undefined {
  const messages = operation.reply?.messages ?? [];
  const failures = messages.filter((m) => m.name.endsWith(".failure"));
  const successes = messages.filter((m) => !m.name.endsWith(".failure"));
  if (successes.length !== 1 || failures.length > 1) return undefined;
  return { success: successes[0]!, failure: failures[0] };
}

/** A handler answers with one success reply and at most one `*.failure` reply (or none at all). */
function repliesFit(operation: OperationModel): boolean {
  return (operation.reply?.messages.length ?? 0) === 0 || repliesOf(operation) !== undefined;
}

/** Whether an operation can be sent from the generated client: an AMQP channel with a queue or an exchange. */
export function isSendable(operation: OperationModel): boolean {
  return (
    operation.action === "send" &&
    (operation.channel.queue !== undefined || operation.channel.exchange !== undefined)
  );
}

/** Whether an operation gets a handler: a received AMQP queue, or the AMQP reply queue of a sent command. */
export function isHandled(operation: OperationModel): boolean {
  return operation.action === "receive"
    ? operation.channel.queue !== undefined && repliesFit(operation)
    : operation.reply?.channel?.queue !== undefined && isSendable(operation);
}

/**
 * The operations that get types and validators only, with why: asyncgen generates clients, handlers and topology
 * for AMQP, and invents no queue for other protocols, for run-time addresses or for channel parameters.
 */
export function skippedOperations(model: ServiceModel): { operation: OperationModel; reason: string }[] {
  return model.operations.flatMap((operation) => {
    if (operation.action === "send" ? isSendable(operation) : isHandled(operation)) return [];
    const { channel } = operation;
    const reason =
      channel.protocol !== "amqp"
        ? channel.protocol
        : channel.address === ""
          ? "address decided at run time"
          : channel.parameters.length > 0
            ? "address with parameters"
            : operation.action === "receive" && !repliesFit(operation)
              ? "replies other than one success and at most one *.failure"
              : "no queue to consume";
    return [{ operation, reason }];
  });
}

/** A method of the generated handler interface: a received command, or a reply to a command this service sent. */
export interface HandlerView {
  readonly method: string;
  readonly message: string;
  readonly payloadType: string;
  readonly returnType: string;
  readonly successSpec: string | null;
  readonly failureSpec: string | null;
  readonly queue: string;
  readonly doc: string[];
}

export function handlerViews(model: ServiceModel): HandlerView[] {
  const views: HandlerView[] = [];
  for (const operation of model.operations.filter(isHandled)) {
    if (operation.action === "receive") {
      const replies = repliesOf(operation);
      for (const message of operation.messages) {
        views.push({
          method: operation.messages.length === 1 ? operation.method : camelCase(message.typeName),
          message: message.typeName,
          payloadType: message.payload,
          returnType: replies
            ? `Outcome<${replies.success.payload}, ${replies.failure?.payload ?? "never"}>`
            : "void",
          successSpec: replies?.success.typeName ?? null,
          failureSpec: replies?.failure?.typeName ?? null,
          queue: queueOf(operation.channel, operation),
          doc: docLines(
            [operation.title ?? message.title, operation.summary ?? message.summary]
              .filter(Boolean)
              .join(": "),
            operationIdNote(operation),
            replies
              ? `Return \`success(...)\` to reply \`${replies.success.name}\`` +
                  (replies.failure ? `, \`failure(...)\` to refuse with \`${replies.failure.name}\`` : "") +
                  ". Throw for a technical error: the command is redelivered, then dead-lettered."
              : undefined,
          ),
        });
      }
    } else if (operation.reply?.channel) {
      for (const message of operation.reply.messages) {
        views.push({
          method: `on${message.typeName}`,
          message: message.typeName,
          payloadType: message.payload,
          returnType: "void",
          successSpec: null,
          failureSpec: null,
          queue: queueOf(operation.reply.channel, operation),
          doc: docLines(
            `Reply \`${message.name}\` to ${operation.id}: ${message.summary ?? message.title ?? ""}`,
            "Throw for a technical error: the reply is redelivered, then dead-lettered.",
          ),
        });
      }
    }
  }
  return dedupeByMessage(views);
}

/** Several send operations may share one reply message; the handler interface lists it once. */
function dedupeByMessage(views: HandlerView[]): HandlerView[] {
  const seen = new Set<string>();
  return views.filter((v) => (seen.has(v.message) ? false : (seen.add(v.message), true)));
}

/** The contract's operation id, when the method name had to change it. */
export function operationIdNote(operation: OperationModel): string | undefined {
  return operation.method === operation.id ? undefined : `Operation \`${operation.id}\` of the contract.`;
}

function queueOf(channel: ChannelModel, operation: OperationModel): string {
  if (!channel.queue) {
    throw codegenError(
      "CODEGEN_UNSUPPORTED",
      `operation ${operation.id} receives on channel ${channel.id}, which is not bound to a queue`,
      operation.location,
    );
  }
  return channel.queue.name;
}
