/** Every error the runtime raises has one of these stable codes (see README for the table). */
export const ERROR_CODES = {
  MSG_INVALID_PAYLOAD: "a payload does not match its message's schema",
  MSG_INVALID_HEADERS: "the headers of a message do not match the contract's header schema",
  MSG_MALFORMED_JSON: "a message body is not valid JSON",
  MSG_UNKNOWN_TYPE: "a message's type property names no message this queue receives",
  MSG_MISSING_REPLY_TO: "a command that expects a reply arrived without reply_to",
  AMQP_UNROUTABLE: "the broker returned a message: no queue is bound for its exchange and routing key",
  AMQP_NACKED: "the broker refused a published message (negative confirm)",
  AMQP_CONFIRM_TIMEOUT: "the broker did not confirm a published message in time",
  AMQP_CONNECTION_LOST: "the connection to the broker failed or was lost",
  TRANSPORT_CLOSED: "the transport was closed by its owner",
  HANDLER_FAILED: "a handler kept failing with a technical error until the delivery limit",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem ajv found (a subset of ajv's ErrorObject). */
export interface ValidationIssue {
  readonly instancePath: string;
  readonly message?: string | undefined;
  readonly keyword?: string;
  readonly params?: unknown;
}

export class SagaToolkitError extends Error {
  override name = "SagaToolkitError";
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    context: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.context = context;
  }
}

/** A payload or header set that does not match the contract; keeps ajv's issues. */
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

export function describeIssues(issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return "invalid";
  return issues.map((i) => `${i.instancePath || "/"} ${i.message ?? "is invalid"}`).join("; ");
}

/** Checks the code rather than the class, so it also works across duplicate copies of this package. */
export function hasCode(error: unknown, code: ErrorCode): error is SagaToolkitError {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}
