/**
 * The one registry of error codes the runtime raises. The README table is generated from (and tested against) it,
 * so a code cannot exist without a description.
 */
export const ERROR_CODES = {
  MSG_INVALID_PAYLOAD: "a payload does not match its message's schema",
  MSG_INVALID_HEADERS: "the headers of a message do not match the contract's header schema",
  MSG_MALFORMED_JSON: "a message body is not valid JSON",
  MSG_UNKNOWN_TYPE: "a message's type property names no message this queue receives",
  MSG_MISSING_REPLY_TO: "a command that expects a reply arrived without reply_to",
  MSG_MISSING_MESSAGE_ID: "a message served with a unit of work has no message_id to deduplicate it by",
  AMQP_UNROUTABLE: "the broker returned a message: no queue is bound for its exchange and routing key",
  AMQP_NACKED: "the broker refused a published message (negative confirm)",
  AMQP_CONFIRM_TIMEOUT: "the broker did not confirm a published message in time",
  AMQP_CONNECTION_LOST: "the connection to the broker failed or was lost",
  TRANSPORT_CLOSED: "the transport was closed by its owner",
  HANDLER_INVALID_OUTCOME:
    "a handler returned neither success(...) nor failure(...), or failure(...) for a command whose contract declares no failure reply",
  HANDLER_FAILED: "a handler kept failing with a technical error until the delivery limit",
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem a validator found: the part of ajv's ErrorObject the runtime uses. */
export interface ValidationIssue {
  readonly instancePath: string;
  readonly message?: string | undefined;
  readonly keyword?: string;
  readonly params?: unknown;
}

/** An error with a stable code from a registry; the base of every package's own errors (runtime, saga). */
export class CodedError<Code extends string = string> extends Error {
  override name = "CodedError";
  readonly code: Code;
  /** Structured facts for logs (ids, names); never needed to understand the message. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: Code,
    message: string,
    context: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.context = context;
  }
}

export class SagaToolkitError extends CodedError<ErrorCode> {
  override name = "SagaToolkitError";
}

/** A payload or header set that does not match the contract; keeps the validator's issues. */
export class MessageValidationError extends SagaToolkitError {
  override name = "MessageValidationError";
  readonly messageName: string;
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: "MSG_INVALID_PAYLOAD" | "MSG_INVALID_HEADERS",
    messageName: string,
    issues: readonly ValidationIssue[],
  ) {
    super(code, `${messageName}: ${describeIssues(issues)}`, { messageName, issues });
    this.messageName = messageName;
    this.issues = issues;
  }
}

/** `"/items/0/quantity must be integer; / must have required property 'order_id'"`. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return "/ is invalid";
  return issues.map((i) => `${i.instancePath || "/"} ${i.message ?? "is invalid"}`).join("; ");
}

/** Checks the code rather than the class, so it also works across duplicate copies of this package. */
export function hasCode(error: unknown, code: ErrorCode): error is SagaToolkitError {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}

/** The message of anything thrown, for logs and dead-letter reasons. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
