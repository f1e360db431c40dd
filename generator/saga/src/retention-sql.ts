import type { SqlDialect } from "./outbox-table.js";
import type { Migration } from "./sql.js";
import { TERMINAL } from "./state.js";

/**
 * The statements that keep bookkeeping tables bounded, per dialect, in one place: the order service's store and the
 * participants' stores (SQLite, and PostgreSQL where a service runs on it) prune with the same SQL. Every DELETE
 * removes at most one batch (`LIMIT ?`), oldest first, through an index, and returns one row per deleted row so both
 * drivers count the same way. On PostgreSQL, `SKIP LOCKED` lets several instances prune at once without waiting on
 * each other's batches.
 */

/** `status IN ('succeeded', 'failed')`: written the same in the index and the queries, so SQLite uses the partial index. */
const FINISHED = `status IN (${[...TERMINAL].map((status) => `'${status}'`).join(", ")})`;

/** The indexes the pruning walks: the consumed-message record and the outbox, as every service has them. */
export function outboxRetentionIndexes(): string {
  return `
  CREATE INDEX consumed_messages_consumed_at ON consumed_messages (consumed_at);
  CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;`;
}

/**
 * The indexes an orchestrator's store needs for retention (the two above, and finished sagas by the time they
 * finished: a finished saga is never updated again, so `updated_at` is that time). Append it to the service's
 * migrations after SAGA_SCHEMA.
 */
export const SAGA_RETENTION_INDEXES: Migration = () =>
  `${outboxRetentionIndexes()}
  CREATE INDEX sagas_finished ON sagas (updated_at, id) WHERE ${FINISHED};`;

export interface RetentionSql {
  /** `?`: the cutoff (ISO time), the batch size. */
  readonly consumedMessages: string;
  /** `?`: the cutoff (ISO time), the batch size. Unsent and parked rows (sent_at NULL) are never touched. */
  readonly sentOutbox: string;
  /** The next finished sagas to clear, after a cursor. `?`: the cutoff, the cursor (updated_at, id), the batch size. */
  readonly finishedSagas: string;
  /** History of the finished sagas between two cursors. `?`: from (updated_at, id) exclusive, to (updated_at, id). */
  readonly finishedHistory: string;
}

export function retentionSql(dialect: SqlDialect["name"]): RetentionSql {
  const skipLocked = dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  // Without statistics SQLite's planner prefers sagas_status and sorts every finished saga; name the index.
  const finishedIndex = dialect === "sqlite" ? " INDEXED BY sagas_finished" : "";
  return {
    consumedMessages: `DELETE FROM consumed_messages WHERE message_id IN (
        SELECT message_id FROM consumed_messages WHERE consumed_at < ? ORDER BY consumed_at LIMIT ?${skipLocked})
      RETURNING 1 AS pruned`,
    sentOutbox: `DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox WHERE sent_at < ? ORDER BY sent_at LIMIT ?${skipLocked})
      RETURNING 1 AS pruned`,
    finishedSagas: `SELECT id, updated_at FROM sagas${finishedIndex}
      WHERE ${FINISHED} AND updated_at < ? AND (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?`,
    finishedHistory: `DELETE FROM saga_history WHERE saga_id IN (
        SELECT id FROM sagas${finishedIndex} WHERE ${FINISHED} AND (updated_at, id) > (?, ?) AND (updated_at, id) <= (?, ?))
      RETURNING 1 AS pruned`,
  };
}
