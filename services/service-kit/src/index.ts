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
  openParticipantDatabase,
  participantDatabaseLocation,
  startParticipant,
  type ParticipantDatabaseLocation,
  type ParticipantDefinition,
  type ParticipantOptions,
  type RunningParticipant,
} from "./participant.js";
export type { ParticipantDatabase, ParticipantSql } from "./participant-database.js";
export { PostgresParticipantDatabase, type PostgresParticipantOptions } from "./postgres-outbox.js";
export { runParticipant } from "./participant-main.js";
export {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
} from "./outbox-migrations.js";
export { publishStoredMessage } from "./publish-stored-message.js";
export { SqliteOutbox, SqliteParticipantDatabase } from "./sqlite-outbox.js";
export type { SqliteDatabase } from "@asyncgen/saga/sqlite";
export type { Migration } from "@asyncgen/saga";
export { openTransport, redactUrl, type OpenTransportOptions } from "./transport.js";
export { fakeContext } from "./testing.js";
