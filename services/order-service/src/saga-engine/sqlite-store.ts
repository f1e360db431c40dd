import type { SqliteDatabase } from "@saga/service-kit";
import {
  ConcurrencyError,
  type HistoryEntry,
  type SagaRecord,
  type SagaStore,
  type UnitOfWork,
} from "./state.js";

/** Tables of the saga engine; the service adds its own (e.g. orders) in later migrations. */
export const SAGA_MIGRATIONS = [
  `CREATE TABLE sagas (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     version INTEGER NOT NULL,
     data TEXT NOT NULL,
     awaiting TEXT,
     deadline_at INTEGER,
     failed_step TEXT,
     failure_details TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX sagas_deadline ON sagas (deadline_at) WHERE deadline_at IS NOT NULL;
   CREATE INDEX sagas_status ON sagas (status);
   CREATE TABLE saga_history (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     saga_id INTEGER NOT NULL REFERENCES sagas (id),
     status TEXT NOT NULL,
     at TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX saga_history_saga ON saga_history (saga_id, id);
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL UNIQUE,
     correlation_id TEXT NOT NULL,
     operation TEXT NOT NULL,
     payload TEXT NOT NULL,
     created_at TEXT NOT NULL,
     sent_at TEXT
   );
   CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
   CREATE TABLE consumed_messages (
     message_id TEXT PRIMARY KEY,
     consumed_at TEXT NOT NULL
   );`,
];

export interface OutboxRow {
  readonly id: number;
  readonly messageId: string;
  readonly correlationId: string;
  readonly operation: string;
  readonly payload: unknown;
}

interface SagaRow {
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

/** A hook that keeps the service's own tables in step with the saga's data, inside the same transaction. */
export type Projection<Data> = (db: SqliteDatabase, sagaId: number, data: Data, created: boolean) => void;

/** The saga store on SQLite (better-sqlite3): every commit is one synchronous transaction. */
export class SqliteSagaStore<Data> implements SagaStore<Data> {
  readonly #db: SqliteDatabase;
  readonly #project: Projection<Data>;
  readonly #type: string;
  readonly #insert;
  readonly #update;
  readonly #history;
  readonly #outbox;
  readonly #consume;
  readonly #consumed;
  readonly #load;
  readonly #overdue;
  readonly #pending;
  readonly #markSent;

  constructor(db: SqliteDatabase, type: string, project: Projection<Data> = () => {}) {
    this.#db = db;
    this.#type = type;
    this.#project = project;
    this.#insert = db.prepare(
      `INSERT INTO sagas (type, status, version, data, created_at, updated_at) VALUES (?, 'not_started', 0, '{}', ?, ?)`,
    );
    this.#update = db.prepare(
      `UPDATE sagas SET status = @status, version = version + 1, data = @data, awaiting = @awaiting,
         deadline_at = @deadline_at, failed_step = @failed_step, failure_details = @failure_details, updated_at = @now
       WHERE id = @id AND version = @expected`,
    );
    this.#history = db.prepare(`INSERT INTO saga_history (saga_id, status, at, detail) VALUES (?, ?, ?, ?)`);
    this.#outbox = db.prepare(
      `INSERT INTO outbox (message_id, correlation_id, operation, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.#consume = db.prepare(`INSERT INTO consumed_messages (message_id, consumed_at) VALUES (?, ?)`);
    this.#consumed = db.prepare(`SELECT 1 FROM consumed_messages WHERE message_id = ?`).pluck();
    this.#load = db.prepare(`SELECT * FROM sagas WHERE id = ?`);
    this.#overdue = db
      .prepare(`SELECT id FROM sagas WHERE deadline_at <= ? ORDER BY deadline_at LIMIT ?`)
      .pluck();
    this.#pending = db.prepare(`SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?`);
    this.#markSent = db.prepare(`UPDATE outbox SET sent_at = ? WHERE id = ?`);
  }

  async create(build: (id: number) => UnitOfWork<Data>): Promise<number> {
    return this.#db.transaction(() => {
      const now = new Date().toISOString();
      const id = Number(this.#insert.run(this.#type, now, now).lastInsertRowid);
      const work = build(id);
      this.#write({ ...work, expectedVersion: 0 }, true);
      return id;
    })();
  }

  async commit(work: UnitOfWork<Data>): Promise<void> {
    this.#db.transaction(() => this.#write(work, false))();
  }

  #write(work: UnitOfWork<Data>, created: boolean): void {
    const { next } = work;
    const now = new Date().toISOString();
    const changed = this.#update.run({
      id: next.id,
      expected: work.expectedVersion,
      status: next.status,
      data: JSON.stringify(next.data),
      awaiting: next.awaiting ? JSON.stringify(next.awaiting) : null,
      deadline_at: next.awaiting?.deadlineAt ?? null,
      failed_step: next.failedStep,
      failure_details: next.failureDetails === null ? null : JSON.stringify(next.failureDetails),
      now,
    }).changes;
    if (changed !== 1)
      throw new ConcurrencyError(`saga ${next.id} changed since version ${work.expectedVersion}`);
    for (const entry of work.history) this.#history.run(next.id, entry.status, entry.at, detailJson(entry));
    for (const message of work.outbox) {
      this.#outbox.run(
        message.messageId,
        String(next.id),
        message.operation,
        JSON.stringify(message.payload),
        now,
      );
    }
    if (work.consumedMessageId) this.#consume.run(work.consumedMessageId, now);
    this.#project(this.#db, next.id, next.data, created);
  }

  async load(id: number): Promise<SagaRecord<Data> | undefined> {
    const row = this.#load.get(id) as SagaRow | undefined;
    return row && toRecord<Data>(row);
  }

  async hasConsumed(messageId: string): Promise<boolean> {
    return this.#consumed.get(messageId) !== undefined;
  }

  async overdue(now: number, limit: number): Promise<number[]> {
    return this.#overdue.all(now, limit) as number[];
  }

  pendingOutbox(limit: number): OutboxRow[] {
    return (
      this.#pending.all(limit) as {
        id: number;
        message_id: string;
        correlation_id: string;
        operation: string;
        payload: string;
      }[]
    ).map((row) => ({
      id: row.id,
      messageId: row.message_id,
      correlationId: row.correlation_id,
      operation: row.operation,
      payload: JSON.parse(row.payload) as unknown,
    }));
  }

  /** Marks published rows in one transaction (one WAL write for a whole relay pass). */
  markSent(ids: readonly number[]): void {
    const now = new Date().toISOString();
    this.#db.transaction(() => {
      for (const id of ids) this.#markSent.run(now, id);
    })();
  }
}

function detailJson(entry: HistoryEntry): string | null {
  return entry.detail === undefined ? null : JSON.stringify(entry.detail);
}

function toRecord<Data>(row: SagaRow): SagaRecord<Data> {
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
