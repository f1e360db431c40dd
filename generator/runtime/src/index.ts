// @asyncgen/runtime: what generated code and services load at run time. Nothing here may import the build-time
// generator (parser, Modelina, handlebars, prettier); eslint enforces it.
export { connectAmqp, type AmqpOptions } from "./amqp-transport.js";
export { batchWritesPerTurn, type CorkableStream } from "./amqp-write-batching.js";
export { deadLetterCopy, deadLetterExchange, deadLetterQueue } from "./dead-letter.js";
export {
  asDeadLetterQueue,
  discardDeadLetters,
  listDeadLetters,
  REPLAY_COUNT_HEADER,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterSelection,
} from "./dead-letters.js";
export { memoryDedup, type Dedup } from "./dedup.js";
export {
  ERROR_CODES,
  describeIssues,
  hasCode,
  MessageValidationError,
  CodedError,
  SagaToolkitError,
  type ErrorCode,
  type ValidationIssue,
} from "./errors.js";
export { createInProcessTransport, type InProcessTransport } from "./in-process-transport.js";
export { silentLogger, withFields, type Logger } from "./logger.js";
export {
  checkHeaders,
  decodeJson,
  encodeJson,
  parsePayload,
  type MessageSpec,
  type Validator,
} from "./messages.js";
export { failure, success, type Outcome } from "./outcome.js";
export { inSpan, useOpenTelemetry, type SpanAttributes } from "./message-spans.js";
export { buildMessage, send, type SendOptions } from "./send.js";
export { newMessageId } from "./message-id.js";
export {
  serve,
  type MessageContext,
  type ReceiveOperation,
  type ServeOptions,
  type ServiceSpec,
} from "./serve.js";
export {
  childTrace,
  currentTrace,
  parseTraceparent,
  TRACEPARENT_HEADER,
  withTrace,
  type TraceContext,
} from "./trace.js";
export type {
  Delivery,
  MessageProperties,
  OutgoingMessage,
  QueuedMessage,
  QueueSpec,
  Subscription,
  SweepDecision,
  Transport,
} from "./transport.js";
export type { UnitOfWork } from "./unit-of-work.js";
