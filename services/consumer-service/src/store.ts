import { openSqlite, type SqliteDatabase } from "@saga/service-kit";

const MIGRATIONS = [
  `CREATE TABLE verifications (
     correlation_id TEXT PRIMARY KEY,
     consumer_id INTEGER NOT NULL,
     verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'refused')),
     reason TEXT,
     created_at TEXT NOT NULL
   );`,
];

export interface Verification {
  readonly consumer_id: number;
  readonly verdict: "accepted" | "refused";
  readonly reason: string | null;
}

/** One verdict per saga: a redelivered command finds the verdict already given and repeats it. */
export class VerificationStore {
  readonly db: SqliteDatabase;
  readonly #find;
  readonly #insert;

  constructor(file: string) {
    this.db = openSqlite(file, MIGRATIONS);
    this.#find = this.db.prepare(
      `SELECT consumer_id, verdict, reason FROM verifications WHERE correlation_id = ?`,
    );
    this.#insert = this.db.prepare(
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
    return this.#find.get(correlationId) as Verification;
  }

  close(): void {
    this.db.close();
  }
}
