import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "@asyncgen/runtime";
import { ConcurrencyError } from "../errors.js";
import {
  OUTBOX_COLUMNS,
  OUTBOX_PARK,
  toStoredMessage,
  type OutboxTableRow,
  type StoredMessage,
} from "../outbox-table.js";
import {
  SAGA_SQL,
  toRecord,
  transitionStatements,
  type Migration,
  type Projection,
  type SagaDatabase,
  type SagaRow,
  type SqlStatement,
  TransitionListeners,
  type TransitionEvent,
} from "../sql.js";
import type { SagaRecord, UnitOfWork } from "../state.js";
import { migrate } from "./postgres-migrate.js";
import { notifyTransition, TransitionListener } from "./postgres-transitions.js";

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

/** A killed instance's outbox rows are taken over within this (plus one relay interval) after its last heartbeat. */
export const DEFAULT_OUTBOX_LEASE_MS = 3000;

/**
 * The saga store on PostgreSQL (`pg`), for several instances of the service on one database. A transition's saga
 * update, history, outbox rows, consumed reply and projection commit in one transaction; the version check makes a
 * concurrent transition (another instance's, or a racing deadline) fail with ConcurrencyError, which the engine
 * retries on the fresh state. Outbox rows are leased to one relay at a time (`FOR UPDATE SKIP LOCKED`), the lease renewed by a heartbeat while the instance lives.
 */
export class PostgresSagaStore<Data> implements SagaDatabase<Data> {
  readonly dialect = "postgres";
  readonly #pool: pg.Pool;
  readonly #type: string;
  readonly #project: Projection<Data>;
  readonly #leaseMs: number;
  readonly #logger: Logger;
  /** This instance's name on the outbox rows it claims. */
  readonly #owner = randomUUID();
  readonly #transitions = new TransitionListeners();
  readonly #listener: TransitionListener;
  #heartbeat: NodeJS.Timeout | undefined;

  private constructor(pool: pg.Pool, options: PostgresStoreOptions<Data>) {
    this.#pool = pool;
    this.#type = options.type;
    this.#project = options.project ?? (() => []);
    this.#leaseMs = options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
    this.#logger = options.logger;
    this.#listener = new TransitionListener(options.url, this.#transitions, options.logger);
  }

  /** Connects and brings the schema up to date; safe when several instances start at once. */
  static async open<Data>(options: PostgresStoreOptions<Data>): Promise<PostgresSagaStore<Data>> {
    const leaseMs = options.outboxLeaseMs ?? DEFAULT_OUTBOX_LEASE_MS;
    if (!(Number.isInteger(leaseMs) && leaseMs >= 3))
      throw new RangeError(
        `the outbox lease (outboxLeaseMs; OUTBOX_LEASE_MS in the services) must be an integer of at least 3 ms, not ${leaseMs}`,
      );
    const pool = new pg.Pool({
      connectionString: options.url,
      connectionTimeoutMillis: 5000,
      // Counts, ids and epoch milliseconds are BIGINT; all stay far below 2^53, so read them as numbers.
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === pg.types.builtins.INT8
            ? Number
            : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
      },
    });
    // An idle connection that breaks must not crash the process; the next query reconnects.
    pool.on("error", (error) =>
      options.logger.error({ err: error, database: redactUrl(options.url) }, "PostgreSQL connection lost"),
    );
    try {
      await migrate(pool, options.migrations, options.schemaName);
    } catch (error) {
      await pool.end();
      throw error;
    }
    const store = new PostgresSagaStore(pool, options);
    await store.#listener.start(); // listening before the first commit, so a subscriber hears every transition
    store.#startHeartbeat();
    return store;
  }

  async create(build: (id: number) => UnitOfWork<Data>): Promise<number> {
    return this.#transaction(async (client) => {
      const now = new Date().toISOString();
      const { rows } = await client.query<{ id: number }>(numbered(SAGA_SQL.insertSaga), [
        this.#type,
        now,
        now,
      ]);
      const id = rows[0]!.id;
      await this.#write(client, { ...build(id), expectedVersion: 0 }, true);
      return id;
    });
  }

  async commit(work: UnitOfWork<Data>): Promise<void> {
    await this.#transaction((client) => this.#write(client, work, false));
  }

  async #write(client: pg.PoolClient, work: UnitOfWork<Data>, created: boolean): Promise<void> {
    const { updateSaga, rest } = transitionStatements(work, created, this.#project, new Date().toISOString());
    // Under READ COMMITTED a concurrent update of the row waits for the other commit, then re-checks the version.
    if ((await run(client, updateSaga)).rowCount !== 1)
      throw new ConcurrencyError(`saga ${work.next.id} changed since version ${work.expectedVersion}`);
    try {
      for (const statement of rest) await run(client, statement);
      // Delivered to every listening instance when (and only if) the transaction commits.
      await run(client, notifyTransition({ saga: work.next.id, status: work.next.status }));
    } catch (error) {
      // The same reply consumed by another instance in between: the engine retries and finds it consumed.
      if (error instanceof pg.DatabaseError && error.constraint === "consumed_messages_pkey")
        throw new ConcurrencyError(`message ${work.consumedMessageId} was consumed concurrently`);
      throw error;
    }
  }

  async load(id: number): Promise<SagaRecord<Data> | undefined> {
    const [row] = await this.all<SagaRow>(SAGA_SQL.load, [id]);
    return row && toRecord<Data>(row);
  }

  async hasConsumed(messageId: string): Promise<boolean> {
    return (await this.all(SAGA_SQL.consumed, [messageId])).length > 0;
  }

  async overdue(now: number, limit: number): Promise<number[]> {
    return (await this.all<{ id: number }>(SAGA_SQL.overdue, [now, limit])).map((row) => row.id);
  }

  /**
   * Claims unsent rows for this instance's relay: rows nobody holds, whose lease ran out (a dead instance), or that
   * this instance already holds (a publish to retry; their lease is the heartbeat's to renew). SKIP LOCKED lets two
   * relays claim disjoint rows without waiting on each other.
   */
  async pendingOutbox(limit: number): Promise<StoredMessage[]> {
    const rows = await this.all<OutboxTableRow>(
      `UPDATE outbox SET
         claimed_until = CASE WHEN claimed_by = ? THEN claimed_until ELSE now() + ? * interval '1 millisecond' END,
         claimed_by = ?
       WHERE id IN (
         SELECT id FROM outbox
         WHERE sent_at IS NULL AND parked_at IS NULL AND (claimed_until IS NULL OR claimed_until < now() OR claimed_by = ?)
         ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING ${OUTBOX_COLUMNS}`,
      [this.#owner, this.#leaseMs, this.#owner, this.#owner, limit],
    );
    return rows.sort((a, b) => a.id - b.id).map(toStoredMessage);
  }

  /** Hands rows this instance could not publish (the broker unreachable from here) back to any instance. */
  async release(ids: readonly number[]): Promise<void> {
    await this.all(
      `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ANY(?) AND claimed_by = ? AND sent_at IS NULL`,
      [ids, this.#owner],
    );
  }

  /**
   * Renews the lease of the rows this instance holds every third of the lease, so one renewal may fail (a busy
   * database) without another instance taking them. The timer does not keep the process alive.
   */
  #startHeartbeat(): void {
    const beat = () =>
      this.all(
        `UPDATE outbox SET claimed_until = now() + ? * interval '1 millisecond'
         WHERE claimed_by = ? AND sent_at IS NULL AND parked_at IS NULL`,
        [this.#leaseMs, this.#owner],
      ).catch((error: unknown) =>
        this.#logger.warn(
          { err: error },
          "could not renew the outbox lease; will retry at the next heartbeat",
        ),
      );
    this.#heartbeat = setInterval(beat, Math.floor(this.#leaseMs / 3));
    this.#heartbeat.unref();
  }

  async markSent(ids: readonly number[]): Promise<void> {
    await this.all(`UPDATE outbox SET sent_at = ? WHERE id = ANY(?)`, [new Date().toISOString(), ids]);
  }

  async park(id: number, reason: string): Promise<void> {
    await this.all(OUTBOX_PARK, [new Date().toISOString(), reason, id]);
  }

  async all<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query(numbered(sql), params as unknown[])).rows as Row[];
  }

  async ping(): Promise<void> {
    await this.#pool.query(SAGA_SQL.ping);
  }

  subscribe(listener: (event: TransitionEvent) => void): () => void {
    return this.#transitions.add(listener);
  }

  /** Hands this instance's unsent rows back at once (another instance need not wait for the lease), then disconnects. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    try {
      await this.all(
        `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND sent_at IS NULL`,
        [this.#owner],
      );
    } catch (error) {
      // Not fatal: the rows' lease runs out and another instance takes them then.
      this.#logger.warn({ err: error }, "could not hand back claimed outbox rows; their lease will expire");
    }
    await this.#listener.stop();
    await this.#pool.end();
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A connection that cannot even roll back is discarded, not handed to the next transaction.
      client.release(broken);
    }
  }
}

function run(client: pg.PoolClient, statement: SqlStatement): Promise<pg.QueryResult> {
  return client.query(numbered(statement.sql), statement.params as unknown[]);
}

/** Keyed by statement text: our statements are a fixed set of constants, so this stays small. */
const numberedCache = new Map<string, string>();

/** `?` placeholders (shared with SQLite) as PostgreSQL's `$1, $2, ...`; none of our statements has `?` in a literal. */
export function numbered(sql: string): string {
  let text = numberedCache.get(sql);
  if (text === undefined) {
    let index = 0;
    text = sql.replace(/\?/g, () => `$${++index}`);
    numberedCache.set(sql, text);
  }
  return text;
}

/** A connection URL with its password replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
