// @asyncgen/saga/postgres: the saga store on PostgreSQL (pg), for several instances on one database.
export { migrate } from "./postgres-migrate.js";
export {
  DEFAULT_OUTBOX_LEASE_MS,
  PostgresSagaStore,
  redactUrl,
  type PostgresStoreOptions,
} from "./postgres-store.js";
// The pieces a participant on PostgreSQL builds its inbox and outbox (and their group commit) from.
export {
  heldRows,
  insertConsumed,
  insertOutbox,
  numbered,
  prepared,
  type OutboxHolder,
} from "./postgres-batch-sql.js";
export { BatchQueue, BrokenConnection, type BatchItem, type BatchQueueOptions } from "./batch-queue.js";
export { ensureSchema, openPostgresPool } from "./pool.js";
export { PostgresOutboxClaims, type HandOver } from "./outbox-claims.js";
