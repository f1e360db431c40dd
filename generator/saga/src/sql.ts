import type { OutboxSource } from "./outbox-relay.js";
import {
  consumedMessagesTable,
  OUTBOX_INSERT,
  outboxInsertParams,
  outboxParkingColumns,
  outboxTable,
  type SqlDialect,
  type StoredMessage,
} from "./outbox-table.js";
import type { HistoryEntry, SagaRecord, SagaStore, UnitOfWork } from "./state.js";

/**
 * What the SQLite and PostgreSQL saga stores share: the schema (rendered per dialect), the statements both run
 * (written once with `?` placeholders; the PostgreSQL store numbers them), and the mapping between rows and records.
 * How a statement runs, how a transaction is held and how the outbox is claimed is each store's own.
 */

/** `migrations[i]` moves the schema from version i to i+1; append, never edit. */
export type Migration = (dialect: SqlDialect) => string;

/** The saga engine's own tables: sagas and their history (DDL). */
export function sagaTables(d: SqlDialect): string {
  return `
  CREATE TABLE sagas (
    id ${d.serialKey},
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    awaiting TEXT,
    deadline_at ${d.bigint},
    failed_step TEXT,
    failure_details TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX sagas_deadline ON sagas (deadline_at) WHERE deadline_at IS NOT NULL;
  CREATE INDEX sagas_status ON sagas (status);
  CREATE TABLE saga_history (
    id ${d.serialKey},
    saga_id ${d.bigint} NOT NULL REFERENCES sagas (id),
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX saga_history_saga ON saga_history (saga_id, id);`;
}

/**
 * Every table an orchestrator's store needs, as the first migration of a new service: sagas, history, the outbox
 * and the consumed replies. The service appends its own migrations (its projection's tables) after it.
 */
export const SAGA_SCHEMA: Migration = (d) =>
  sagaTables(d) + outboxTable(d) + outboxParkingColumns() + consumedMessagesTable();

/** One statement with `?` placeholders, run by whichever store holds the transaction. */
export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Read queries (`?` placeholders) for the service's own read side, on either database. */
export interface SqlReader {
  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * Keeps the service's own tables in step with the saga's data: the statements it returns run in the saga's
 * transaction. Pure, so both stores run the same projection.
 */
export type Projection<Data> = (sagaId: number, data: Data, created: boolean) => SqlStatement[];

/** A committed status change, as the live dashboard and the benchmark hear it. */
export interface TransitionEvent {
  readonly saga: number;
  readonly status: string;
}

/** A saga store with its outbox and read side: what the service runs on, whichever the database. */
export interface SagaDatabase<Data> extends SagaStore<Data>, OutboxSource<StoredMessage>, SqlReader {
  readonly dialect: SqlDialect["name"];
  /**
   * Hears every committed transition in this database, once committed: this process's on SQLite, every
   * instance's on PostgreSQL. Returns the unsubscribe.
   */
  subscribe(listener: (event: TransitionEvent) => void): () => void;
  /** Resolves when the database answers a query; for /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The statements both stores run, in the same order of parameters. */
export const SAGA_SQL = {
  insertSaga: `INSERT INTO sagas (type, status, version, data, created_at, updated_at)
     VALUES (?, 'not_started', 0, '{}', ?, ?) RETURNING id`,
  updateSaga: `UPDATE sagas SET status = ?, version = version + 1, data = ?, awaiting = ?, deadline_at = ?,
       failed_step = ?, failure_details = ?, updated_at = ?
     WHERE id = ? AND version = ?`,
  insertHistory: `INSERT INTO saga_history (saga_id, status, at, detail) VALUES (?, ?, ?, ?)`,
  insertOutbox: OUTBOX_INSERT,
  insertConsumed: `INSERT INTO consumed_messages (message_id, consumed_at) VALUES (?, ?)`,
  consumed: `SELECT 1 AS consumed FROM consumed_messages WHERE message_id = ?`,
  load: `SELECT * FROM sagas WHERE id = ?`,
  overdue: `SELECT id FROM sagas WHERE deadline_at <= ? ORDER BY deadline_at LIMIT ?`,
  ping: `SELECT 1 AS ok`,
} as const;

/**
 * Every statement one transition writes after the saga row itself (whose update is checked for its version first):
 * history, outbox, the consumed message and the projection.
 */
export function transitionStatements<Data>(
  work: UnitOfWork<Data>,
  created: boolean,
  project: Projection<Data>,
  now: string,
): { updateSaga: SqlStatement; rest: SqlStatement[] } {
  const { next } = work;
  const updateSaga = {
    sql: SAGA_SQL.updateSaga,
    params: [
      next.status,
      JSON.stringify(next.data),
      next.awaiting ? JSON.stringify(next.awaiting) : null,
      next.awaiting?.deadlineAt ?? null,
      next.failedStep,
      next.failureDetails === null ? null : JSON.stringify(next.failureDetails),
      now,
      next.id,
      work.expectedVersion,
    ],
  };
  const rest: SqlStatement[] = [
    ...work.history.map((entry) => ({
      sql: SAGA_SQL.insertHistory,
      params: [next.id, entry.status, entry.at, detailJson(entry)],
    })),
    ...work.outbox.map((message) => ({
      sql: SAGA_SQL.insertOutbox,
      params: outboxInsertParams(message, now),
    })),
    ...(work.consumedMessageId
      ? [{ sql: SAGA_SQL.insertConsumed, params: [work.consumedMessageId, now] }]
      : []),
    ...project(next.id, next.data, created),
  ];
  return { updateSaga, rest };
}

/** A history entry's detail as stored (JSON, or NULL). */
export function detailJson(entry: HistoryEntry): string | null {
  return entry.detail === undefined ? null : JSON.stringify(entry.detail);
}

export interface SagaRow {
  id: number;
  type: string;
  status: string;
  version: number;
  data: string;
  awaiting: string | null;
  failed_step: string | null;
  failure_details: string | null;
  created_at: string;
  updated_at: string;
}

export function toRecord<Data>(row: SagaRow): SagaRecord<Data> {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    version: row.version,
    data: JSON.parse(row.data) as Data,
    awaiting: row.awaiting ? (JSON.parse(row.awaiting) as SagaRecord<Data>["awaiting"]) : null,
    failedStep: row.failed_step,
    failureDetails: row.failure_details === null ? null : (JSON.parse(row.failure_details) as unknown),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** An outbox row the broker kept refusing, set aside with the reason (see OutboxRelay). */
export interface ParkedMessage {
  readonly id: number;
  readonly message_id: string;
  readonly type: string;
  readonly routing_key: string;
  readonly parked_at: string;
  readonly park_reason: string;
}

/** The latest parked outbox rows of a store, newest first: for a dashboard. */
export function parkedMessages(reader: SqlReader, limit = 20): Promise<ParkedMessage[]> {
  return reader.all<ParkedMessage>(
    `SELECT id, message_id, type, routing_key, parked_at, park_reason FROM outbox
     WHERE parked_at IS NOT NULL ORDER BY id DESC LIMIT ?`,
    [limit],
  );
}

/** How many outbox rows are parked (the saga_outbox_parked gauge). */
export async function countParkedMessages(reader: SqlReader): Promise<number> {
  const [row] = await reader.all<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM outbox WHERE parked_at IS NOT NULL`,
  );
  return Number(row?.n ?? 0); // PostgreSQL's COUNT is a bigint, read as a string
}

/** Who hears committed transitions (the live dashboard's streams). */
export class TransitionListeners {
  readonly #listeners = new Set<(event: TransitionEvent) => void>();

  add(listener: (event: TransitionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: TransitionEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
