export {
  CONFIG_DEFAULTS,
  CONFIG_VARIABLES,
  ConfigError,
  readConfig,
  readConfigOrExit,
  retentionPolicy,
  type ServiceConfig,
} from "./config.js";
export { BrokerRefusedError, classifyConnectFailure } from "./broker-connect.js";
export { exitOnStartFailure, stopOnSignals } from "./lifecycle.js";
export { createLogger, type Logger } from "./logger.js";
export { meteredTransport } from "./metered-transport.js";
export { combinedMetrics, ServiceMetrics, serveMetrics, type MetricsExposition } from "./metrics.js";
export { OutboxRelay, type OutboxRowRef, type OutboxSource, type StoredMessage } from "@asyncgen/saga";
export { wrapTransport } from "./wrap-transport.js";
export {
  startParticipant,
  type ParticipantOptions,
  type ParticipantStore,
  type RunningParticipant,
} from "./participant.js";
export { runParticipant } from "./participant-main.js";
export {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  publishStoredMessage,
  SqliteOutbox,
} from "./sqlite-outbox.js";
export { exclusive, openSqlite, transaction, type SqliteDatabase } from "@asyncgen/saga/sqlite";
export { openTransport, redactUrl, type OpenTransportOptions } from "./transport.js";
export { fakeContext } from "./testing.js";
