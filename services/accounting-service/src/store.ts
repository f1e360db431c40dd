import { openSqlite, type SqliteDatabase } from "@saga/service-kit";

const MIGRATIONS = [
  `CREATE TABLE card_authorizations (
     transaction_id INTEGER PRIMARY KEY AUTOINCREMENT,
     correlation_id TEXT NOT NULL UNIQUE,
     card_id INTEGER NOT NULL,
     amount INTEGER NOT NULL,
     created_at TEXT NOT NULL
   );`,
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

  constructor(file: string) {
    this.db = openSqlite(file, MIGRATIONS);
    this.#insert = this.db.prepare(
      `INSERT INTO card_authorizations (correlation_id, card_id, amount, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (correlation_id) DO NOTHING`,
    );
    this.#find = this.db.prepare(
      `SELECT transaction_id, card_id, amount FROM card_authorizations WHERE correlation_id = ?`,
    );
  }

  authorize(correlationId: string, cardId: number, amount: number): Authorization {
    this.#insert.run(correlationId, cardId, amount, new Date().toISOString());
    return this.#find.get(correlationId) as Authorization;
  }

  close(): void {
    this.db.close();
  }
}
