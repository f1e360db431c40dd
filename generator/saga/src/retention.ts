import { setImmediate as nextTurn } from "node:timers/promises";
import type { Logger } from "@asyncgen/runtime";
import { SagaError } from "./errors.js";
import type { SqlDialect } from "./outbox-table.js";
import { retentionSql, type RetentionSql } from "./retention-sql.js";
import type { SqlReader } from "./sql.js";

/**
 * How long bookkeeping rows are kept. Each is a time (milliseconds); 0 keeps those rows forever. A count limit is
 * deliberately not offered: a burst would evict dedup records still inside the window redeliveries can reach.
 */
export interface RetentionPolicy {
  /**
   * Consumed-message ids (`consumed_messages`), after their consumption. A redelivery of the same message (same
   * message id) within this window is recognised; beyond it, only the business state (one ticket per order, the
   * saga's awaited step) recognises it.
   */
  readonly dedupMs: number;
  /** Outbox rows after the broker confirmed them (`sent_at`); unsent and parked rows are never pruned. */
  readonly sentOutboxMs: number;
  /** The history of finished (`succeeded`/`failed`) sagas, after they finished; the saga row itself stays. */
  readonly historyMs: number;
  /**
   * After the service starts, and after every time it found itself cut off from the broker, no dedup record is pruned
   * until it has been connected this long: the messages that waited in the queues meanwhile (redeliveries of
   * unacked ones, a peer's republish after its crash) arrive first, while their records are still there.
   */
  readonly graceMs: number;
}

/**
 * 24 h of dedup records (as long as POST /orders remembers an Idempotency-Key), an hour of sent outbox rows, a week of
 * finished sagas' history, and 15 minutes of grace after a (re)connection.
 */
export const DEFAULT_RETENTION: RetentionPolicy = {
  dedupMs: 24 * 60 * 60 * 1000,
  sentOutboxMs: 60 * 60 * 1000,
  historyMs: 7 * 24 * 60 * 60 * 1000,
  graceMs: 15 * 60 * 1000,
};

/** The tables a pruner may keep bounded: a participant's are the first two, an orchestrator's all three. */
export type PrunedTable = "consumed_messages" | "outbox" | "saga_history";

/** A store the pruner can run its statements on: `all()` runs one statement, outside the store's transactions. */
export interface RetentionDatabase extends SqlReader {
  readonly dialect: SqlDialect["name"];
}

export interface RetentionOptions {
  readonly policy: RetentionPolicy;
  readonly tables: readonly PrunedTable[];
  readonly logger: Logger;
  /** Whether the service is connected to its broker now (`transport.isConnected()`); default: always. */
  readonly isConnected?: () => boolean;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
  /** Pause between passes. Default 5000 ms. */
  readonly intervalMs?: number;
  /** Most rows one DELETE removes (one short write transaction). Default 500. */
  readonly batchSize?: number;
  /** A pass stops starting batches after this long and goes on at the next pass. Default 1000 ms. */
  readonly passBudgetMs?: number;
}

export type PruneCounts = Record<PrunedTable, number>;

/** What one batch deleted, and whether a full batch says there may be more. */
interface Batch {
  readonly deleted: number;
  readonly more: boolean;
}

/**
 * Keeps bookkeeping tables bounded, off the hot path: on a timer, each pass deletes rows older than the policy's
 * windows in small batches (an indexed `DELETE ... LIMIT`, its own short transaction; the event loop turns between
 * batches, so transitions queued meanwhile commit in between). A failed batch is logged with
 * `SAGA_RETENTION_PRUNE_FAILED` and tried again at the next pass; it never stops the service.
 */
export class RetentionPruner {
  readonly #db: RetentionDatabase;
  readonly #sql: RetentionSql;
  readonly #options: RetentionOptions;
  readonly #now: () => number;
  readonly #batchSize: number;
  /** Since when the broker connection has been up without a break seen; undefined while it is down. */
  #connectedSince: number | undefined;
  /** Finished sagas up to here (updated_at, id) have had their history cleared by this process. */
  #historyCursor: [string, number] = ["", 0];
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<unknown> | undefined;
  #stopped = false;

  constructor(db: RetentionDatabase, options: RetentionOptions) {
    this.#db = db;
    this.#sql = retentionSql(db.dialect);
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#batchSize = options.batchSize ?? 500;
    this.#connectedSince = this.#now();
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Stops the timer and waits for the pass in flight (its current batch), so the store can be closed after it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  /** One pass over every table; what it deleted. Never throws: failures are logged and retried at the next pass. */
  pruneOnce(): Promise<PruneCounts> {
    const pass = this.#prune();
    this.#pass = pass;
    return pass;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.pruneOnce().finally(() => this.#schedule());
    }, this.#options.intervalMs ?? 5000);
    this.#timer.unref();
  }

  async #prune(): Promise<PruneCounts> {
    const now = this.#now();
    const { policy, tables } = this.#options;
    const budgetEnds = Date.now() + (this.#options.passBudgetMs ?? 1000);
    const counts: PruneCounts = { consumed_messages: 0, outbox: 0, saga_history: 0 };
    const dedupCutoff = this.#dedupCutoff(now);
    const jobs: [PrunedTable, number, (cutoff: string) => Promise<Batch>][] = [
      ["consumed_messages", dedupCutoff, (cutoff) => this.#deleteBatch(this.#sql.consumedMessages, cutoff)],
      [
        "outbox",
        cutoffOf(now, policy.sentOutboxMs),
        (cutoff) => this.#deleteBatch(this.#sql.sentOutbox, cutoff),
      ],
      ["saga_history", cutoffOf(now, policy.historyMs), (cutoff) => this.#historyBatch(cutoff)],
    ];
    for (const [table, cutoffMs, batch] of jobs) {
      if (!tables.includes(table) || !Number.isFinite(cutoffMs)) continue;
      const cutoff = new Date(cutoffMs).toISOString();
      try {
        for (;;) {
          const { deleted, more } = await batch(cutoff);
          counts[table] += deleted;
          if (!more || this.#stopped || Date.now() >= budgetEnds) break;
          await nextTurn(); // let the transitions waiting for the connection commit between batches
        }
      } catch (error) {
        this.#options.logger.warn(
          {
            err: new SagaError(
              "SAGA_RETENTION_PRUNE_FAILED",
              `pruning ${table} failed: ${(error as Error).message}`,
              { table },
              { cause: error },
            ),
            code: "SAGA_RETENTION_PRUNE_FAILED",
            table,
          },
          `pruning ${table} failed; will retry at the next pass`,
        );
      }
    }
    if (counts.consumed_messages + counts.outbox + counts.saga_history > 0)
      this.#options.logger.debug({ pruned: counts }, "retention pass");
    return counts;
  }

  /**
   * The time before which consumed-message records may go, or NaN while the grace holds: nothing is
   * pruned until the broker connection has been up for `graceMs` (counted from the start, or from the first pass that
   * found it up again after a pass found it down). A disconnection shorter than a pass can go unseen; that is safe,
   * since the messages it leaves unacked were consumed seconds before, far inside the window.
   */
  #dedupCutoff(now: number): number {
    const { policy, isConnected } = this.#options;
    if (isConnected && !isConnected()) {
      this.#connectedSince = undefined;
      return Number.NaN;
    }
    this.#connectedSince ??= now;
    if (now - this.#connectedSince < policy.graceMs) return Number.NaN;
    return cutoffOf(now, policy.dedupMs);
  }

  async #deleteBatch(sql: string, cutoff: string): Promise<Batch> {
    const deleted = (await this.#db.all(sql, [cutoff, this.#batchSize])).length;
    return { deleted, more: deleted === this.#batchSize };
  }

  /**
   * The next batch of sagas that finished before the cutoff, after the cursor; then their history in one DELETE.
   * The cursor only moves over sagas finished before the cutoff, and a saga that finishes later has a later
   * `updated_at`, so none is passed over. A new process walks from the start once (cheap: index ranges).
   */
  async #historyBatch(cutoff: string): Promise<Batch> {
    const [fromAt, fromId] = this.#historyCursor;
    // A saga has about ten history rows: a tenth of the batch in sagas keeps the DELETE about a batch of rows.
    const limit = Math.max(1, Math.floor(this.#batchSize / 10));
    const sagas = await this.#db.all<{ id: number | string; updated_at: string }>(this.#sql.finishedSagas, [
      cutoff,
      fromAt,
      fromId,
      limit,
    ]);
    const last = sagas.at(-1);
    if (!last) return { deleted: 0, more: false };
    const to: [string, number] = [last.updated_at, Number(last.id)];
    const deleted = await this.#db.all(this.#sql.finishedHistory, [fromAt, fromId, ...to]);
    this.#historyCursor = to;
    // A full batch of sagas means there may be more, whatever their history held.
    return { deleted: deleted.length, more: sagas.length === limit };
  }
}

/** `now - windowMs`, or NaN (nothing is pruned) when the window is 0: kept forever. */
function cutoffOf(now: number, windowMs: number): number {
  return windowMs > 0 ? now - windowMs : Number.NaN;
}
