import {
  OUTBOX_INSERT,
  OUTBOX_PARK,
  OUTBOX_PENDING,
  outboxInsertParams,
  SQLITE,
  toStoredMessage,
  type Migration,
  type OutboxSource,
  type OutboxTableRow,
  type RetentionDatabase,
  type StoredMessage,
} from "@asyncgen/saga";
import { exclusive, openSqlite, sqliteReader, transaction, type SqliteDatabase } from "@asyncgen/saga/sqlite";
import type { OutgoingMessage, UnitOfWork } from "@asyncgen/runtime";
import type { ParticipantDatabase, ParticipantSql } from "./participant-database.js";

/**
 * The runtime's UnitOfWork on a service's SQLite database (which must have OUTBOX_MIGRATION), and the source its
 * OutboxRelay reads. A handler's writes through the same connection, the messages it answers with and the
 * consumed-message record commit in one transaction; `onCommit` then tells the relay there is something to send.
 */
export class SqliteOutbox implements UnitOfWork, OutboxSource<StoredMessage> {
  /** Called after each commit that stored messages (the relay's kick). */
  onCommit: () => void = () => {};
  readonly #db: SqliteDatabase;
  readonly #isConsumed;
  readonly #recordConsumed;
  readonly #store;
  readonly #pending;
  readonly #markSent;
  readonly #park;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#isConsumed = db.prepare<[string]>(`SELECT 1 FROM consumed_messages WHERE message_id = ?`).pluck();
    this.#recordConsumed = db.prepare<[string, string]>(
      `INSERT INTO consumed_messages (message_id, consumed_at) VALUES (?, ?)`,
    );
    this.#store = db.prepare<unknown[]>(OUTBOX_INSERT);
    this.#pending = db.prepare<[number], OutboxTableRow>(OUTBOX_PENDING);
    this.#park = db.prepare<[string, string, number]>(OUTBOX_PARK);
    this.#markSent = db.prepare<[string, number]>(`UPDATE outbox SET sent_at = ? WHERE id = ?`);
  }

  async transact(
    messageId: string,
    work: () => Promise<readonly OutgoingMessage[]>,
  ): Promise<"committed" | "duplicate"> {
    let stored = 0;
    const result = await transaction(this.#db, async () => {
      if (this.#isConsumed.get(messageId) !== undefined) return "duplicate" as const;
      const messages = await work();
      const now = new Date().toISOString();
      for (const message of messages) this.#store.run(...outboxInsertParams(message, now));
      this.#recordConsumed.run(messageId, now);
      stored = messages.length;
      return "committed" as const;
    });
    if (stored > 0) this.onCommit();
    return result;
  }

  pendingOutbox(limit: number): Promise<StoredMessage[]> {
    return exclusive(this.#db, () => this.#pending.all(limit).map(toStoredMessage));
  }

  /** Marks published rows in one unit of work (committed with the handlers' units queued beside it). */
  markSent(ids: readonly number[]): Promise<void> {
    return transaction(this.#db, async () => {
      const now = new Date().toISOString();
      for (const id of ids) this.#markSent.run(now, id);
    });
  }

  park(id: number, reason: string): Promise<void> {
    return transaction(this.#db, async () => void this.#park.run(new Date().toISOString(), reason, id));
  }
}

/**
 * A participant's state in one SQLite file (created and migrated at start; held by this process alone, see
 * openSqlite), or `:memory:`: its statements run on the one connection, so a handler's writes join the transaction
 * SqliteOutbox holds for the message.
 */
export class SqliteParticipantDatabase extends SqliteOutbox implements ParticipantDatabase {
  readonly db: SqliteDatabase;
  readonly sql: ParticipantSql;
  readonly retention: RetentionDatabase;
  readonly #backlog;

  constructor(file: string, migrations: readonly Migration[]) {
    const db = openSqlite(
      file,
      migrations.map((migration) => migration(SQLITE)),
    );
    super(db);
    this.db = db;
    this.sql = sqliteStatements(db);
    // `sql` joins whatever transaction is open on the connection; pruning queues behind it instead.
    this.retention = sqliteReader(db);
    this.#backlog = db.prepare(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`).pluck();
  }

  async pendingCount(): Promise<number> {
    return Number(this.#backlog.get());
  }

  start(): void {}

  async close(): Promise<void> {
    await exclusive(this.db, () => this.db.close()); // after the last transaction in flight
  }
}

/** ParticipantSql on one SQLite connection; each statement is prepared once. */
function sqliteStatements(db: SqliteDatabase): ParticipantSql {
  const prepared = new Map<string, ReturnType<typeof db.prepare<unknown[]>>>();
  const statement = (sql: string) => {
    let found = prepared.get(sql);
    if (!found) prepared.set(sql, (found = db.prepare<unknown[]>(sql)));
    return found;
  };
  return {
    dialect: "sqlite",
    all: async <Row>(sql: string, params: readonly unknown[] = []) =>
      statement(sql).all(...(params as unknown[])) as Row[],
    run: async (sql: string, params: readonly unknown[] = []) =>
      statement(sql).run(...(params as unknown[])).changes,
  };
}
