import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  type Migration,
  type ParticipantSql,
} from "@saga/service-kit";

/** `ACCOUNTING_MIGRATIONS[i]` moves the schema from version i to i+1, on SQLite and PostgreSQL; append, never edit. */
export const ACCOUNTING_MIGRATIONS: readonly Migration[] = [
  // transaction_id: the database's own key (BIGINT identity on PostgreSQL, unique across instances); card_id and
  // amount hold the contract's bounds (up to 2^31-1) on both databases.
  (d) => `CREATE TABLE card_authorizations (
     transaction_id ${d.serialKey},
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
  readonly #sql: ParticipantSql;

  constructor(sql: ParticipantSql) {
    this.#sql = sql;
  }

  /**
   * Records the saga's authorization, or returns the one an earlier delivery recorded (`created: false`). Two
   * instances at once: the second insert waits for the first's commit, then returns its authorization.
   */
  async authorize(
    correlationId: string,
    cardId: number,
    amount: number,
  ): Promise<{ authorization: Authorization; created: boolean }> {
    // One statement when the authorization is new (RETURNING gives it back); the read only after a conflict.
    const [created] = await this.#sql.all<Authorization>(
      `INSERT INTO card_authorizations (correlation_id, card_id, amount, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (correlation_id) DO NOTHING RETURNING transaction_id, card_id, amount`,
      [correlationId, cardId, amount, new Date().toISOString()],
    );
    if (created) return { authorization: created, created: true };
    const [authorization] = await this.#sql.all<Authorization>(
      `SELECT transaction_id, card_id, amount FROM card_authorizations WHERE correlation_id = ?`,
      [correlationId],
    );
    return { authorization: authorization!, created: false };
  }
}
