export { numberFromEnv, readConfig, type ServiceConfig } from "./config.js";
export { stopOnSignals } from "./lifecycle.js";
export { createLogger, type Logger } from "./logger.js";
export { OutboxRelay, type OutboxRowRef, type OutboxSource } from "./outbox-relay.js";
export {
  startParticipant,
  type ParticipantOptions,
  type ParticipantStore,
  type RunningParticipant,
} from "./participant.js";
export { runParticipant } from "./participant-main.js";
export { openSqlite, type SqliteDatabase } from "./sqlite.js";
export { OUTBOX_MIGRATION, publishStoredMessage, SqliteOutbox, type StoredMessage } from "./sqlite-outbox.js";
export { exclusive, transaction } from "./sqlite-transaction.js";
export { openTransport, redactUrl } from "./transport.js";
export { fakeContext } from "./testing.js";
