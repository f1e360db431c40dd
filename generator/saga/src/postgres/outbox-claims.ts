import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Logger } from "@asyncgen/runtime";
import type { OutboxSource } from "../outbox-relay.js";
import {
  OUTBOX_COLUMNS,
  OUTBOX_PARK,
  toStoredMessage,
  type OutboxTableRow,
  type StoredMessage,
} from "../outbox-table.js";
import { planned, prepared, type OutboxHolder } from "./postgres-batch-sql.js";

/** Who holds the outbox rows a commit inserts, and where they go once committed: this instance's relay. */
export interface HandOver {
  readonly holder: OutboxHolder;
  readonly deliver: (rows: readonly StoredMessage[]) => void;
}

/** A killed instance's outbox rows are taken over within this (plus one relay interval) after its last heartbeat. */
export const DEFAULT_OUTBOX_LEASE_MS = 3000;

/**
 * The outbox of one instance's relay on PostgreSQL, where several instances share the table (the one outbox layout,
 * with its claim columns): each holds the rows it publishes under a lease that its heartbeat renews every third of
 * `leaseMs`. The rows an instance's own transactions insert are held from the start (`holder`, see insertOutbox) and
 * handed to its relay after their commit, so the relay claims nothing in the common case; it claims
 * (`FOR UPDATE SKIP LOCKED`) only rows nobody holds: a dead instance's once the lease ran out, and rows handed back
 * by a relay that could not publish them (the broker refused them, or was unreachable from it). The order service's saga store and the
 * participants' stores both claim through it; they pass a pool with asynchronous commit, since losing a claim, a
 * renewal or a sent mark in a database crash costs only a resend that receivers deduplicate.
 */
export class PostgresOutboxClaims implements OutboxSource<StoredMessage> {
  readonly #pool: pg.Pool;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  /** This instance's name on the rows it claims. */
  readonly #owner = randomUUID();
  #heartbeat: NodeJS.Timeout | undefined;
  #handOver: HandOver | undefined;

  constructor(pool: pg.Pool, logger: Logger, leaseMs = DEFAULT_OUTBOX_LEASE_MS) {
    this.#pool = pool;
    this.#logger = logger;
    this.#leaseMs = leaseMs;
  }

  /** The name and lease this instance's transactions insert their outbox rows under. */
  get holder(): OutboxHolder {
    return { owner: this.#owner, leaseMs: this.#leaseMs };
  }

  /** Where the rows of this instance's commits go, held by it, once its relay runs (`handOver`); else nowhere. */
  get handingOver(): HandOver | undefined {
    return this.#handOver;
  }

  /** The store's `OutboxSource.handOver`: from now on its commits insert their rows held, and hand them to `deliver`. */
  handOver(deliver: (rows: readonly StoredMessage[]) => void): void {
    this.#handOver = { holder: this.holder, deliver };
  }

  /**
   * Unsent rows nobody holds, or whose lease ran out. Not this instance's own: those are in its relay's hands, which
   * hands back (`release`) what it could not publish.
   */
  async pendingOutbox(limit: number): Promise<StoredMessage[]> {
    const rows = await this.#query<OutboxTableRow>(
      `UPDATE outbox SET claimed_until = now() + ? * interval '1 millisecond', claimed_by = ?
       WHERE id IN (
         SELECT id FROM outbox
         WHERE sent_at IS NULL AND parked_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
         ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING ${OUTBOX_COLUMNS}`,
      [this.#leaseMs, this.#owner, limit],
    );
    return rows.sort((a, b) => a.id - b.id).map(toStoredMessage);
  }

  async release(ids: readonly number[]): Promise<void> {
    await this.#query(
      `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ANY(?) AND claimed_by = ? AND sent_at IS NULL`,
      [ids, this.#owner],
    );
  }

  async markSent(ids: readonly number[]): Promise<void> {
    await this.#query(`UPDATE outbox SET sent_at = ? WHERE id = ANY(?)`, [new Date().toISOString(), ids]);
  }

  async park(id: number, reason: string): Promise<void> {
    await this.#pool.query(prepared(OUTBOX_PARK, [new Date().toISOString(), reason, id]));
  }

  /** Renews the lease of the rows held every third of it (one renewal may fail); does not keep the process alive. */
  startHeartbeat(): void {
    const beat = () =>
      this.#query(
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

  /** Stops the heartbeat and hands this instance's unsent rows back, so another need not wait for the lease. */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    try {
      await this.#query(
        `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND sent_at IS NULL`,
        [this.#owner],
      );
    } catch (error) {
      // Not fatal: the rows' lease runs out and another instance takes them then.
      this.#logger.warn({ err: error }, "could not hand back claimed outbox rows; their lease will expire");
    }
  }

  /** Each of these scans the outbox for rows in a state, so it is planned for the table as it is now. */
  async #query<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return (await this.#pool.query(planned(sql, params))).rows as Row[];
  }
}
