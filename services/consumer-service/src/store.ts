import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  openSqlite,
  type SqliteDatabase,
} from "@saga/service-kit";

/** `MIGRATIONS[i]` moves the schema from version i to i+1 (PRAGMA user_version); append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE verifications (
     correlation_id TEXT PRIMARY KEY,
     consumer_id INTEGER NOT NULL,
     verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'refused')),
     reason TEXT,
     created_at TEXT NOT NULL
   );`,
  // Transactional outbox: replies are stored with the state change and published by the relay.
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  // Indexes for pruning consumed-message ids and sent replies past their retention.
  OUTBOX_RETENTION_MIGRATION,
];

export type Verdict = "accepted" | "refused";

export interface Verification {
  readonly consumer_id: number;
  readonly verdict: Verdict;
  /** Why the consumer was refused; null when accepted. */
  readonly reason: string | null;
}

/** One verdict per saga: a redelivered command finds the verdict already given and repeats it. */
export class VerificationStore {
  readonly db: SqliteDatabase;
  readonly #find;
  readonly #insert;

  /** `file` is a SQLite file (created, and its schema migrated, if needed) or `:memory:`. */
  constructor(file: string) {
    this.db = openSqlite(file, MIGRATIONS);
    this.#find = this.db.prepare<[string], Verification>(
      `SELECT consumer_id, verdict, reason FROM verifications WHERE correlation_id = ?`,
    );
    this.#insert = this.db.prepare<[string, number, Verdict, string | null, string]>(
      `INSERT INTO verifications (correlation_id, consumer_id, verdict, reason, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (correlation_id) DO NOTHING`,
    );
  }

  /** Records the verdict unless this saga already has one; returns the verdict that stands. */
  record(correlationId: string, verification: Verification): Verification {
    this.#insert.run(
      correlationId,
      verification.consumer_id,
      verification.verdict,
      verification.reason,
      new Date().toISOString(),
    );
    return this.#find.get(correlationId)!;
  }

  close(): void {
    this.db.close();
  }
}
