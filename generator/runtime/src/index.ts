export { connectAmqp, type AmqpOptions } from "./amqp-transport.js";
export { memoryDedup, type Dedup } from "./dedup.js";
export {
  ERROR_CODES,
  describeIssues,
  hasCode,
  MessageValidationError,
  SagaToolkitError,
  type ErrorCode,
  type ValidationIssue,
} from "./errors.js";
export { createInProcessTransport, type InProcessTransport } from "./in-process-transport.js";
export { silentLogger, type Logger } from "./logger.js";
export {
  checkHeaders,
  decodeJson,
  encodeJson,
  parsePayload,
  type MessageSpec,
  type Validator,
} from "./messages.js";
export { failure, success, type Outcome } from "./outcome.js";
export { send, type SendOptions } from "./send.js";
export {
  serve,
  type MessageContext,
  type ReceiveOperation,
  type ServeOptions,
  type ServiceSpec,
} from "./serve.js";
export {
  deadLetterExchange,
  deadLetterQueue,
  type Delivery,
  type MessageProperties,
  type OutgoingMessage,
  type QueueSpec,
  type Transport,
} from "./transport.js";
