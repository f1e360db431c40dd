import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  openSqlite,
  type SqliteDatabase,
} from "@saga/service-kit";

/** `MIGRATIONS[i]` moves the schema from version i to i+1 (PRAGMA user_version); append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE card_authorizations (
     transaction_id INTEGER PRIMARY KEY AUTOINCREMENT,
     correlation_id TEXT NOT NULL UNIQUE,
     card_id INTEGER NOT NULL,
     amount INTEGER NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // Transactional outbox: replies are stored with the state change and published by the relay.
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  // Indexes for pruning consumed-message ids and sent replies past their retention.
  OUTBOX_RETENTION_MIGRATION,
];

export interface Authorization {
  readonly transaction_id: number;
  readonly card_id: number;
  readonly amount: number;
}

/** Card authorizations, one per saga: a redelivered command gets the same transaction back. */
export class AuthorizationStore {
  readonly db: SqliteDatabase;
  readonly #insert;
  readonly #find;

  /** `file` is a SQLite file (created, and its schema migrated, if needed) or `:memory:`. */
  constructor(file: string) {
    this.db = openSqlite(file, MIGRATIONS);
    this.#insert = this.db.prepare<[string, number, number, string]>(
      `INSERT INTO card_authorizations (correlation_id, card_id, amount, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (correlation_id) DO NOTHING`,
    );
    this.#find = this.db.prepare<[string], Authorization>(
      `SELECT transaction_id, card_id, amount FROM card_authorizations WHERE correlation_id = ?`,
    );
  }

  /** Records the saga's authorization, or returns the one an earlier delivery recorded (`created: false`). */
  authorize(
    correlationId: string,
    cardId: number,
    amount: number,
  ): { authorization: Authorization; created: boolean } {
    const { changes } = this.#insert.run(correlationId, cardId, amount, new Date().toISOString());
    return { authorization: this.#find.get(correlationId)!, created: changes === 1 };
  }

  close(): void {
    this.db.close();
  }
}
