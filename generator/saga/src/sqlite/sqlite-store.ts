import type { Statement } from "better-sqlite3";
import { ConcurrencyError } from "../errors.js";
import {
  OUTBOX_PARK,
  OUTBOX_PENDING,
  SQLITE,
  toStoredMessage,
  type OutboxTableRow,
  type StoredMessage,
} from "../outbox-table.js";
import {
  SAGA_SQL,
  toRecord,
  transitionStatements,
  type Migration,
  type Projection,
  type SagaDatabase,
  type SagaRow,
  TransitionListeners,
  type TransitionEvent,
} from "../sql.js";
import type { SagaRecord, UnitOfWork } from "../state.js";
import { openSqlite, type SqliteDatabase } from "./open-sqlite.js";
import { exclusive, transaction } from "./sqlite-transaction.js";

/**
 * The orchestrator's page cache: every saga in flight has its row, its history and outbox pages, and the dashboard
 * reads across them. better-sqlite3's 16 MiB, not the participants' 2 MiB: with 2, two alternating pairs of the saga
 * bench ran 3-8 % slower, within the spread of runs but both the same way.
 */
const SAGA_STORE_PAGE_CACHE_KIB = 16_000;

/**
 * The saga store on SQLite (better-sqlite3), the embedded default: one process owns the file. Transitions are
 * group-committed (service-kit `transaction`): each in its own savepoint, those queued together under one COMMIT.
 */
export class SqliteSagaStore<Data> implements SagaDatabase<Data> {
  readonly dialect = "sqlite";
  readonly #db: SqliteDatabase;
  readonly #type: string;
  readonly #project: Projection<Data>;
  readonly #statements = new Map<string, Statement<unknown[]>>();
  readonly #transitions = new TransitionListeners();

  constructor(db: SqliteDatabase, type: string, project: Projection<Data> = () => []) {
    this.#db = db;
    this.#type = type;
    this.#project = project;
  }

  /** Opens (or creates) the file, or `:memory:`, and migrates it. */
  static open<Data>(
    file: string,
    migrations: readonly Migration[],
    type: string,
    project?: Projection<Data>,
  ): SqliteSagaStore<Data> {
    const db = openSqlite(
      file,
      migrations.map((migration) => migration(SQLITE)),
      SAGA_STORE_PAGE_CACHE_KIB,
    );
    return new SqliteSagaStore(db, type, project);
  }

  async create(build: (id: number) => UnitOfWork<Data>): Promise<number> {
    const work = await transaction(this.#db, async () => {
      const now = new Date().toISOString();
      const { id } = this.#statement(SAGA_SQL.insertSaga).get(this.#type, now, now) as { id: number };
      const planned = build(id);
      this.#write({ ...planned, expectedVersion: 0 }, true);
      return planned;
    });
    this.#transitions.emit({ saga: work.next.id, status: work.next.status });
    return work.next.id;
  }

  /** Group-committed with the transitions queued beside it (service-kit `transaction`): one WAL write for many. */
  async commit(work: UnitOfWork<Data>): Promise<void> {
    await transaction(this.#db, async () => this.#write(work, false));
    this.#transitions.emit({ saga: work.next.id, status: work.next.status });
  }

  subscribe(listener: (event: TransitionEvent) => void): () => void {
    return this.#transitions.add(listener);
  }

  #write(work: UnitOfWork<Data>, created: boolean): void {
    const { updateSaga, rest } = transitionStatements(work, created, this.#project, new Date().toISOString());
    if (this.#statement(updateSaga.sql).run(...updateSaga.params).changes !== 1)
      throw new ConcurrencyError(`saga ${work.next.id} changed since version ${work.expectedVersion}`);
    try {
      for (const { sql, params } of rest) this.#statement(sql).run(...params);
    } catch (error) {
      // The same message consumed by another transition first (the transaction rolls back): as for a version.
      if (String((error as Error).message).includes("consumed_messages.message_id"))
        throw new ConcurrencyError(`message ${work.consumedMessageId} was consumed concurrently`);
      throw error;
    }
  }

  /**
   * The engine's reads run without waiting for an open group, so they may see a transition queued but not yet
   * committed. Planning from it is safe: the plan commits only on top of that version (or with it, in the same group);
   * if that transition rolls back, the plan is a ConcurrencyError and is made again from the committed state.
   */
  async load(id: number): Promise<SagaRecord<Data> | undefined> {
    const row = this.#statement(SAGA_SQL.load).get(id) as SagaRow | undefined;
    return row && toRecord<Data>(row);
  }

  async hasConsumed(messageId: string): Promise<boolean> {
    return this.#statement(SAGA_SQL.consumed).get(messageId) !== undefined;
  }

  async overdue(now: number, limit: number): Promise<number[]> {
    return (this.#statement(SAGA_SQL.overdue).all(now, limit) as { id: number }[]).map((row) => row.id);
  }

  /** Committed rows only (outside any open group): a command is never published for a transition that rolls back. */
  async pendingOutbox(limit: number): Promise<StoredMessage[]> {
    const pending = this.#statement(OUTBOX_PENDING);
    return exclusive(this.#db, () => (pending.all(limit) as OutboxTableRow[]).map(toStoredMessage));
  }

  /** Marks published rows in one unit of work, committed with the transitions queued beside it. */
  async markSent(ids: readonly number[]): Promise<void> {
    const mark = this.#statement(`UPDATE outbox SET sent_at = ? WHERE id = ?`);
    await transaction(this.#db, async () => {
      const now = new Date().toISOString();
      for (const id of ids) mark.run(now, id);
    });
  }

  async park(id: number, reason: string): Promise<void> {
    const park = this.#statement(OUTBOX_PARK);
    await transaction(this.#db, async () => void park.run(new Date().toISOString(), reason, id));
  }

  /** The read side (HTTP): committed state only, never a group's writes that may still roll back. */
  async all<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return exclusive(this.#db, () => this.#statement(sql).all(...params) as Row[]);
  }

  async ping(): Promise<void> {
    this.#statement(SAGA_SQL.ping).get();
  }

  /** Closes after the commit group in flight, if any, so no queued transition meets a closed database. */
  async close(): Promise<void> {
    await exclusive(this.#db, () => this.#db.close());
  }

  /** Prepared once per statement text. */
  #statement(sql: string): Statement<unknown[]> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare<unknown[]>(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
