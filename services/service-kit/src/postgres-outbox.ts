import { AsyncLocalStorage } from "node:async_hooks";
import type pg from "pg";
import {
  OUTBOX_INSERT,
  outboxInsertParams,
  type Migration,
  type RetentionDatabase,
  type StoredMessage,
} from "@asyncgen/saga";
import {
  ensureSchema,
  migrate,
  numbered,
  openPostgresPool,
  PostgresOutboxClaims,
  withTransaction,
} from "@asyncgen/saga/postgres";
import type { Logger, OutgoingMessage } from "@asyncgen/runtime";
import type { ParticipantDatabase, ParticipantSql } from "./participant-database.js";

export interface PostgresParticipantOptions {
  /** `postgres://...` (DATABASE_URL); only ever logged redacted. */
  readonly url: string;
  /** The schema holding the participant's tables (e.g. `restaurant_service`), created at start if missing. */
  readonly schema: string;
  readonly migrations: readonly Migration[];
  readonly logger: Logger;
  /** OUTBOX_LEASE_MS: how long a dead instance's claimed outbox rows stay its own. */
  readonly outboxLeaseMs?: number | undefined;
}

/**
 * A participant's state on PostgreSQL, for any number of instances on one database and one queue: its tables live
 * in a schema of their own, and each message is one transaction holding the consumed-message record, the handler's
 * writes (its statements run on the transaction's connection, found through AsyncLocalStorage) and the reply's
 * outbox row. The record is inserted first: a duplicate handled by another instance at the same moment waits for
 * that commit and is then recognised, so a message has its effect once. Ids come from the database's identity
 * columns, unique across instances. The relays share the outbox by lease (PostgresOutboxClaims).
 */
export class PostgresParticipantDatabase implements ParticipantDatabase {
  onCommit: () => void = () => {};
  readonly sql: ParticipantSql;
  readonly retention: RetentionDatabase;
  readonly #pool: pg.Pool;
  readonly #claims: PostgresOutboxClaims;
  readonly #inTransaction = new AsyncLocalStorage<pg.PoolClient>();

  private constructor(pool: pg.Pool, options: PostgresParticipantOptions) {
    this.#pool = pool;
    this.#claims = new PostgresOutboxClaims(pool, options.logger, options.outboxLeaseMs);
    const query = (sql: string, params: readonly unknown[]) =>
      (this.#inTransaction.getStore() ?? this.#pool).query(numbered(sql), params as unknown[]);
    this.sql = {
      dialect: "postgres",
      all: async <Row>(sql: string, params: readonly unknown[] = []) =>
        (await query(sql, params)).rows as Row[],
      run: async (sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rowCount ?? 0,
    };
    // Each pruning statement on a pool connection of its own, committed alone.
    this.retention = {
      dialect: "postgres",
      all: async <Row>(sql: string, params: readonly unknown[] = []) =>
        (await this.#pool.query(numbered(sql), params as unknown[])).rows as Row[],
    };
  }

  /** Connects, creates the schema and brings its tables up to date; safe when several instances start at once. */
  static async open(options: PostgresParticipantOptions): Promise<PostgresParticipantDatabase> {
    const pool = openPostgresPool(options.url, options.logger, { searchPath: options.schema });
    try {
      await ensureSchema(pool, options.schema);
      await migrate(pool, options.migrations, options.schema);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresParticipantDatabase(pool, options);
  }

  async transact(
    messageId: string,
    work: () => Promise<readonly OutgoingMessage[]>,
  ): Promise<"committed" | "duplicate"> {
    let stored = 0;
    const result = await withTransaction(this.#pool, async (client) => {
      const now = new Date().toISOString();
      const { rowCount } = await client.query(
        `INSERT INTO consumed_messages (message_id, consumed_at) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING`,
        [messageId, now],
      );
      if (rowCount === 0) return "duplicate" as const;
      const messages = await this.#inTransaction.run(client, work);
      for (const message of messages)
        await client.query(numbered(OUTBOX_INSERT), outboxInsertParams(message, now));
      stored = messages.length;
      return "committed" as const;
    });
    if (stored > 0) this.onCommit();
    return result;
  }

  pendingOutbox(limit: number): Promise<StoredMessage[]> {
    return this.#claims.pendingOutbox(limit);
  }

  markSent(ids: readonly number[]): Promise<void> {
    return this.#claims.markSent(ids);
  }

  park(id: number, reason: string): Promise<void> {
    return this.#claims.park(id, reason);
  }

  release(ids: readonly number[]): Promise<void> {
    return this.#claims.release(ids);
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`,
    );
    return rows[0]!.n;
  }

  start(): void {
    this.#claims.startHeartbeat();
  }

  async close(): Promise<void> {
    await this.#claims.stop();
    await this.#pool.end();
  }
}
