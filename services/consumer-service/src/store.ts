import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  type Migration,
  type ParticipantSql,
} from "@saga/service-kit";

/** `CONSUMER_MIGRATIONS[i]` moves the schema from version i to i+1, on SQLite and PostgreSQL; append, never edit. */
export const CONSUMER_MIGRATIONS: readonly Migration[] = [
  // consumer_id holds the contract's bound (1..2^31-1) on both databases.
  () => `CREATE TABLE verifications (
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
  readonly #sql: ParticipantSql;

  constructor(sql: ParticipantSql) {
    this.#sql = sql;
  }

  /**
   * Records the verdict unless this saga already has one; returns the verdict that stands. Two instances recording
   * at once: the second insert waits for the first's commit, then finds its verdict.
   */
  async record(correlationId: string, verification: Verification): Promise<Verification> {
    // One statement when the verdict is new (RETURNING gives it back); the read only after a conflict.
    const [recorded] = await this.#sql.all<Verification>(
      `INSERT INTO verifications (correlation_id, consumer_id, verdict, reason, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (correlation_id) DO NOTHING RETURNING consumer_id, verdict, reason`,
      [
        correlationId,
        verification.consumer_id,
        verification.verdict,
        verification.reason,
        new Date().toISOString(),
      ],
    );
    if (recorded) return recorded;
    const [stands] = await this.#sql.all<Verification>(
      `SELECT consumer_id, verdict, reason FROM verifications WHERE correlation_id = ?`,
      [correlationId],
    );
    return stands!;
  }
}
