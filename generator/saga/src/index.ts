// @asyncgen/saga: orchestrated sagas on asyncgen's generated code. This entry point loads no database driver:
// the stores are in `@asyncgen/saga/sqlite` (better-sqlite3) and `@asyncgen/saga/postgres` (pg).
export {
  local,
  remote,
  serializeError,
  type AnsweredCommand,
  type CommandPayload,
  type CommandReplies,
  type CommandSpec,
  type CommandToSend,
  type FailureDetails,
  type FailureReply,
  type LocalAction,
  type PayloadOf,
  type RemoteAction,
  type ReplyHandlers,
  type SagaDefinition,
  type StepDefinition,
  type SuccessReply,
} from "./definition.js";
export { DeadlinePoller } from "./deadline-poller.js";
export { SagaEngine, type ReplyOutcome } from "./engine.js";
export { ConcurrencyError, SAGA_ERROR_CODES, SagaError, type SagaErrorCode } from "./errors.js";
export {
  startOrchestrator,
  type Orchestrator,
  type OrchestratorOptions,
  type OrchestratorStore,
} from "./orchestrator.js";
export { DEFAULT_MAX_REFUSALS, OutboxRelay, type OutboxRowRef, type OutboxSource } from "./outbox-relay.js";
export {
  consumedMessagesTable,
  OUTBOX_COLUMNS,
  OUTBOX_INSERT,
  OUTBOX_PARK,
  OUTBOX_PENDING,
  outboxInsertParams,
  outboxParkingColumns,
  outboxTable,
  POSTGRES,
  SQLITE,
  toStoredMessage,
  type OutboxTableRow,
  type SqlDialect,
  type StoredMessage,
} from "./outbox-table.js";
export {
  DEFAULT_RETENTION,
  RetentionPruner,
  type PruneCounts,
  type PrunedTable,
  type RetentionDatabase,
  type RetentionOptions,
  type RetentionPolicy,
} from "./retention.js";
export {
  outboxRetentionIndexes,
  retentionSql,
  SAGA_RETENTION_INDEXES,
  type RetentionSql,
} from "./retention-sql.js";
export {
  countParkedMessages,
  parkedMessages,
  SAGA_SCHEMA,
  sagaTables,
  type ParkedMessage,
  type Migration,
  type Projection,
  type SagaDatabase,
  type SqlReader,
  type SqlStatement,
  type TransitionEvent,
} from "./sql.js";
export { TERMINAL } from "./state.js";
export type { Awaiting, HistoryEntry, SagaRecord, SagaStatus, SagaStore, UnitOfWork } from "./state.js";
