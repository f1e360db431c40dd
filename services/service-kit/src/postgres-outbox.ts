import type pg from "pg";
import type { Migration, RetentionDatabase, StoredMessage } from "@asyncgen/saga";
import {
  ensureSchema,
  migrate,
  numbered,
  openPostgresPool,
  PostgresOutboxClaims,
  prepared,
} from "@asyncgen/saga/postgres";
import type { Logger, OutgoingMessage } from "@asyncgen/runtime";
import type { ParticipantDatabase, ParticipantSql } from "./participant-database.js";
import { PostgresMessageBatches } from "./postgres-message-batches.js";

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
 * in a schema of their own, and each message is atomic: its consumed-message record, the handler's writes (its
 * statements run on the transaction's connection, found through AsyncLocalStorage) and its replies' outbox rows
 * commit together, group-committed with the messages arriving beside it (PostgresMessageBatches: one transaction and
 * a few round trips for the batch). The record is inserted first: a duplicate handled by another instance at the
 * same moment waits for that commit and is then recognised, so a message has its effect once. Ids come from the
 * database's identity columns, unique across instances. The relays share the outbox by lease (PostgresOutboxClaims).
 */
export class PostgresParticipantDatabase implements ParticipantDatabase {
  /** Called after each commit that stored messages (the relay's kick): once per batch. */
  onCommit: () => void = () => {};
  readonly sql: ParticipantSql;
  readonly retention: RetentionDatabase;
  readonly #pool: pg.Pool;
  readonly #claims: PostgresOutboxClaims;
  readonly #batches: PostgresMessageBatches;

  private constructor(pool: pg.Pool, options: PostgresParticipantOptions) {
    this.#pool = pool;
    this.#claims = new PostgresOutboxClaims(pool, options.logger, options.outboxLeaseMs);
    this.#batches = new PostgresMessageBatches(
      pool,
      () => this.onCommit(),
      () => this.#claims.handingOver,
    );
    // Prepared: each connection parses and plans a handler's statement once (they are a fixed set of constants).
    const query = (sql: string, params: readonly unknown[]) =>
      (this.#batches.connection() ?? this.#pool).query(prepared(sql, params));
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
    // Pipelined: a batch's statements sent together go in one round trip.
    const pool = openPostgresPool(options.url, options.logger, {
      searchPath: options.schema,
      pipeline: true,
    });
    try {
      await ensureSchema(pool, options.schema);
      await migrate(pool, options.migrations, options.schema);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresParticipantDatabase(pool, options);
  }

  transact(
    messageId: string,
    work: () => Promise<readonly OutgoingMessage[]>,
  ): Promise<"committed" | "duplicate"> {
    return this.#batches.transact(messageId, work);
  }

  /** The relay publishes the replies each commit inserted, held by this instance, without claiming them. */
  handOver(deliver: (rows: readonly StoredMessage[]) => void): void {
    this.#claims.handOver(deliver);
  }

  /** Claims unsent rows for this instance's relay: nobody's, or whose lease ran out. */
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
