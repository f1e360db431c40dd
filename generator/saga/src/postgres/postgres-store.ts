import type pg from "pg";
import type { Logger } from "@asyncgen/runtime";
import type { StoredMessage } from "../outbox-table.js";
import {
  SAGA_SQL,
  toRecord,
  type Migration,
  type Projection,
  type SagaDatabase,
  type SagaRow,
  TransitionListeners,
  type TransitionEvent,
} from "../sql.js";
import type { SagaRecord, UnitOfWork } from "../state.js";
import { numbered, planned, prepared, RESERVE_SAGA_IDS } from "./postgres-batch-sql.js";
import { DEFAULT_OUTBOX_LEASE_MS, PostgresOutboxClaims } from "./outbox-claims.js";
import { openPostgresPool } from "./pool.js";
import { migrate } from "./postgres-migrate.js";
import { TransitionListener, TransitionNotifier } from "./postgres-transitions.js";
import { TransitionBatches } from "./postgres-write-batch.js";
import { type TurnRead, TurnReads } from "./turn-reads.js";

export interface PostgresStoreOptions<Data> {
  /** `postgres://user:password@host:port/database`; only ever logged redacted. */
  readonly url: string;
  readonly migrations: readonly Migration[];
  /** Names the migrations' advisory lock and table, so services sharing a database do not collide. */
  readonly schemaName: string;
  readonly type: string;
  readonly project?: Projection<Data>;
  readonly logger: Logger;
  /**
   * How long the outbox rows a relay claimed stay its own without a heartbeat: the instance renews the lease of the
   * rows it holds every third of it, so a live instance keeps them however slow its publishes, and the rows of an
   * instance that died are taken over by another one this long after its last heartbeat. Default 3000 ms
   * (`DEFAULT_OUTBOX_LEASE_MS`).
   */
  readonly outboxLeaseMs?: number | undefined;
}

/** The engine's reads of a turn; the columns named (not `*`), since the statement is prepared. */
const LOAD_SAGAS = `SELECT id, type, status, version, data, awaiting, failed_step, failure_details, created_at, updated_at
  FROM sagas WHERE id = ANY(?::bigint[])`;

export { DEFAULT_OUTBOX_LEASE_MS } from "./outbox-claims.js";

/**
 * The saga store on PostgreSQL (`pg`), for several instances of the service on one database. A transition's saga
 * update, history, outbox rows, consumed reply and projection commit atomically, group-committed with the
 * transitions queued beside it (TransitionBatches); the version check makes a concurrent transition (another
 * instance's, or a racing deadline) fail with ConcurrencyError, which the engine retries on the fresh state. The
 * engine's reads asked while one round trip is in flight share the next (TurnReads). Outbox rows are leased to one
 * relay at a time (`FOR UPDATE SKIP LOCKED`), the lease renewed by a heartbeat while the instance lives.
 *
 * Two connection pools: transitions and reads on one; on the other, with asynchronous commit (no wait for the WAL
 * flush), the writes whose loss in a database crash costs only a resend that receivers deduplicate: outbox claims,
 * lease renewals and hand-backs, sent marks, and transition notifications.
 */
export class PostgresSagaStore<Data> implements SagaDatabase<Data> {
  readonly dialect = "postgres";
  readonly #pool: pg.Pool;
  /** Sessions with `synchronous_commit = off`: see the class comment. */
  readonly #asyncPool: pg.Pool;
  /** The outbox rows this instance's relay claimed, under a lease its heartbeat renews. */
  readonly #claims: PostgresOutboxClaims;
  readonly #transitions = new TransitionListeners();
  readonly #listener: TransitionListener;
  readonly #notifier: TransitionNotifier;
  readonly #batches: TransitionBatches<Data>;
  readonly #sagas: TurnRead<number, SagaRow | undefined>;
  readonly #consumed: TurnRead<string, boolean>;
  readonly #ids: TurnRead<null, number>;

  private constructor(pool: pg.Pool, asyncPool: pg.Pool, options: PostgresStoreOptions<Data>) {
    this.#pool = pool;
    this.#asyncPool = asyncPool;
    this.#claims = new PostgresOutboxClaims(
      asyncPool,
      options.logger,
      options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS,
    );
    this.#listener = new TransitionListener(options.url, this.#transitions, options.logger);
    this.#notifier = new TransitionNotifier(asyncPool, options.logger);
    this.#batches = new TransitionBatches(
      pool,
      options.type,
      options.project ?? (() => []),
      (events) => this.#notifier.announce(events),
      () => this.#claims.handingOver,
    );
    const reads = new TurnReads(pool);
    this.#sagas = reads.read(async (client, ids: number[]) => {
      const rows = (await client.query<SagaRow>(planned(LOAD_SAGAS, [ids]))).rows;
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      return ids.map((id) => byId.get(id));
    });
    this.#consumed = reads.read(async (client, messageIds: string[]) => {
      const { rows } = await client.query<{ message_id: string }>(
        planned(`SELECT message_id FROM consumed_messages WHERE message_id = ANY(?::text[])`, [messageIds]),
      );
      const consumed = new Set(rows.map((row) => row.message_id));
      return messageIds.map((id) => consumed.has(id));
    });
    this.#ids = reads.read(async (client, requests: null[]) => {
      const rows = await this.#query<{ id: number }>(client, RESERVE_SAGA_IDS, [requests.length]);
      return rows.map((row) => row.id).sort((a, b) => a - b);
    });
  }

  /** Connects and brings the schema up to date; safe when several instances start at once. */
  static async open<Data>(options: PostgresStoreOptions<Data>): Promise<PostgresSagaStore<Data>> {
    const leaseMs = options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
    if (!(Number.isInteger(leaseMs) && leaseMs >= 3))
      throw new RangeError(
        `the outbox lease (outboxLeaseMs; OUTBOX_LEASE_MS in the services) must be an integer of at least 3 ms, not ${leaseMs}`,
      );
    const pool = openPostgresPool(options.url, options.logger, { max: 10, pipeline: true });
    const asyncPool = openPostgresPool(options.url, options.logger, {
      max: 3,
      pipeline: true,
      sessionOptions: "-c synchronous_commit=off",
    });
    try {
      await migrate(pool, options.migrations, options.schemaName);
    } catch (error) {
      await Promise.all([pool.end(), asyncPool.end()]);
      throw error;
    }
    const store = new PostgresSagaStore(pool, asyncPool, options);
    await store.#listener.start(); // listening before the first commit, so a subscriber hears every transition
    store.#claims.startHeartbeat();
    return store;
  }

  /** The id is reserved first (one query for the sagas created in a turn), so `build` can plan with it. */
  async create(build: (id: number) => UnitOfWork<Data>): Promise<number> {
    const id = await this.#ids.get(null);
    await this.#batches.write({ work: { ...build(id), expectedVersion: 0 }, created: true });
    return id;
  }

  async commit(work: UnitOfWork<Data>): Promise<void> {
    await this.#batches.write({ work, created: false });
  }

  async load(id: number): Promise<SagaRecord<Data> | undefined> {
    const row = await this.#sagas.get(id);
    return row && toRecord<Data>(row);
  }

  async hasConsumed(messageId: string): Promise<boolean> {
    return this.#consumed.get(messageId);
  }

  async overdue(now: number, limit: number): Promise<number[]> {
    return (await this.#query<{ id: number }>(this.#pool, SAGA_SQL.overdue, [now, limit])).map(
      (row) => row.id,
    );
  }

  /** The relay publishes the rows each commit inserted, held by this instance, without claiming them. */
  handOver(deliver: (rows: readonly StoredMessage[]) => void): void {
    this.#claims.handOver(deliver);
  }

  /** Claims unsent rows for this instance's relay (PostgresOutboxClaims: nobody's, or whose lease ran out). */
  pendingOutbox(limit: number): Promise<StoredMessage[]> {
    return this.#claims.pendingOutbox(limit);
  }

  /** Hands rows this instance could not publish (the broker unreachable from here) back to any instance. */
  release(ids: readonly number[]): Promise<void> {
    return this.#claims.release(ids);
  }

  markSent(ids: readonly number[]): Promise<void> {
    return this.#claims.markSent(ids);
  }

  park(id: number, reason: string): Promise<void> {
    return this.#claims.park(id, reason);
  }

  async all<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query(numbered(sql), params as unknown[])).rows as Row[];
  }

  /** One of the store's own statements, prepared. */
  async #query<Row>(on: pg.Pool | pg.ClientBase, sql: string, params: readonly unknown[]): Promise<Row[]> {
    return (await on.query(prepared(sql, params))).rows as Row[];
  }

  async ping(): Promise<void> {
    await this.#pool.query(SAGA_SQL.ping);
  }

  subscribe(listener: (event: TransitionEvent) => void): () => void {
    return this.#transitions.add(listener);
  }

  /** Hands this instance's unsent rows back at once (another instance need not wait for the lease), then disconnects. */
  async close(): Promise<void> {
    await this.#notifier.flushed();
    await this.#claims.stop();
    await this.#listener.stop();
    await Promise.all([this.#pool.end(), this.#asyncPool.end()]);
  }
}

/** A connection URL with its password replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
