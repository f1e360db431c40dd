import type pg from "pg";
import { ConcurrencyError } from "../errors.js";
import type { Projection, SqlStatement, TransitionEvent } from "../sql.js";
import { BatchQueue, BrokenConnection } from "./batch-queue.js";
import {
  insertConsumed,
  insertHistory,
  insertOutbox,
  insertSagas,
  everyRow,
  heldRows,
  lockSagas,
  planned,
  prepared,
  updateSagas,
  type BatchedTransition,
} from "./postgres-batch-sql.js";
import type { HandOver } from "./outbox-claims.js";

/** Most transitions one transaction carries: bounds its statements' size and what one failed commit redoes. */
const MAX_BATCH = 128;
/** Batches committing at once, each on its own connection (see BatchQueue). */
const BATCHES_IN_FLIGHT = 2;

interface Pending<Data> extends BatchedTransition<Data> {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** What one attempt at committing a batch came to. */
type Attempt<Data> =
  | { readonly committed: true }
  | { readonly committed: false; readonly failed: Map<Pending<Data>, unknown> }
  | { readonly committed: false; readonly error: unknown };

/**
 * Group commit on PostgreSQL: the transitions queued while earlier batches commit share one transaction, written by
 * a few set-based statements (one array per column) and the projection's own statements, all sent at once with the
 * COMMIT behind them (pg's pipeline mode): one round trip for the batch instead of about ten per transition, and no
 * transaction left open waiting for this process.
 *
 * Each transition stays atomic and in order. A saga has at most one transition in flight (the next one for it waits
 * for the batch that carries the first to end), so the version check decides as it does alone. The statements
 * check that every saga was updated on the version it was planned from and every consumed message was new; if not,
 * or if any statement fails, nothing commits, and the batch is sent again with the COMMIT held back, to see which
 * transition failed: one whose saga moved on (not in the UPDATE's RETURNING), whose message another transaction
 * consumed first (not in the INSERT's), or whose own statement failed. That one is rejected (a ConcurrencyError the
 * engine plans again from, or its error) and the others commit without it. A failure that names no transition (a
 * deadlock, a broken statement) retries each transition alone, so only its own can fail it.
 */
export class TransitionBatches<Data> {
  readonly #type: string;
  readonly #project: Projection<Data>;
  readonly #committed: (events: TransitionEvent[]) => void;
  readonly #outbox: () => HandOver | undefined;
  /** A saga has at most one transition in a batch being committed; the next one for it waits its turn. */
  readonly #queue: BatchQueue<Pending<Data>>;

  /**
   * `committed` hears each batch's transitions once committed. While `outbox` gives a hand-over (this instance's
   * relay runs), the rows a batch inserts are held by this instance and handed to the relay once committed.
   */
  constructor(
    pool: pg.Pool,
    type: string,
    project: Projection<Data>,
    committed: (events: TransitionEvent[]) => void,
    outbox: () => HandOver | undefined,
  ) {
    this.#type = type;
    this.#project = project;
    this.#committed = committed;
    this.#outbox = outbox;
    this.#queue = new BatchQueue(pool, {
      commit: (client, batch) => this.#commitOn(client, batch),
      maxBatch: MAX_BATCH,
      inFlight: BATCHES_IN_FLIGHT,
      key: (pending) => pending.work.next.id,
    });
  }

  /** Resolves once the COMMIT that carries the transition succeeded; rejects as a lone transaction would. */
  write(transition: BatchedTransition<Data>): Promise<void> {
    return new Promise((resolve, reject) => this.#queue.push({ ...transition, resolve, reject }));
  }

  async #commitOn(client: pg.PoolClient, batch: Pending<Data>[]): Promise<void> {
    if (await this.#attemptAtOnce(client, batch)) return this.#settle(batch);
    // A failed transition is told only after the rest of its batch committed: a caller that lost a race (the same
    // Idempotency-Key, say) then finds the winner's rows when it looks.
    const failed: [Pending<Data>, unknown][] = [];
    try {
      let rest = batch;
      while (rest.length > 0) {
        const attempt = await this.#attempt(client, rest);
        if (attempt.committed) return this.#settle(rest);
        if ("failed" in attempt) {
          failed.push(...attempt.failed);
          rest = rest.filter((pending) => !attempt.failed.has(pending));
          continue;
        }
        if (rest.length === 1) {
          failed.push([rest[0]!, attempt.error]);
          return;
        }
        for (const pending of rest) {
          const alone = await this.#attempt(client, [pending]);
          if (alone.committed) this.#settle([pending]);
          else failed.push([pending, "failed" in alone ? alone.failed.get(pending) : alone.error]);
        }
        return;
      }
    } finally {
      for (const [pending, error] of failed) pending.reject(error);
    }
  }

  #settle(committed: Pending<Data>[]): void {
    for (const pending of committed) pending.resolve();
    this.#committed(committed.map(({ work }) => ({ saga: work.next.id, status: work.next.status })));
  }

  /**
   * The common case in one round trip: the statements check their own outcomes (`everyRow`: an error aborts the
   * transaction when a saga moved on or a message was consumed first) and COMMIT follows them, so the transaction is
   * never left open waiting for this process. False when it rolled back: #attempt then finds out which transition
   * failed and why.
   */
  async #attemptAtOnce(client: pg.PoolClient, batch: Pending<Data>[]): Promise<boolean> {
    // Queued in one turn: one write for the whole batch, COMMIT included (see openPostgresPool).
    const handOver = this.#outbox();
    const { sent, stored } = this.#send(client, batch, true, handOver);
    const commit = client.query("COMMIT");
    const results = await Promise.allSettled([...sent.map(({ result }) => result), commit]);
    const last = results.at(-1)!;
    // COMMIT of a transaction a statement aborted rolls it back, and says so.
    const committed =
      results.every((result) => result.status === "fulfilled") &&
      last.status === "fulfilled" &&
      last.value.command === "COMMIT";
    if (committed) await this.#handOver(batch, stored, handOver);
    return committed;
  }

  /**
   * Sends the batch's statements at once (pg's pipeline mode), BEGIN first: the set-based ones over arrays, then
   * each transition's projection. With `selfChecked`, the UPDATE and the consumed INSERT fail unless every row of
   * theirs was written.
   */
  #send(client: pg.PoolClient, batch: Pending<Data>[], selfChecked: boolean, handOver: HandOver | undefined) {
    const now = new Date().toISOString();
    const creates = batch.filter((pending) => pending.created);
    const updates = batch.filter((pending) => !pending.created);
    /** Each statement sent, with the transition it belongs to (none for the shared ones). */
    const sent: { result: Promise<pg.QueryResult>; owner?: Pending<Data> }[] = [];
    // The lock and the update join the sagas table with the batch's arrays: planned each time (see `planned`).
    const send = (statement: SqlStatement | undefined, owner?: Pending<Data>, asQuery = prepared) => {
      if (!statement) return undefined;
      const result = client.query(asQuery(statement.sql, statement.params));
      result.catch(() => {}); // read below, in order; an early rejection is not unhandled meanwhile
      sent.push(owner ? { result, owner } : { result });
      return result;
    };
    const checked = (statement: SqlStatement | undefined, rows: number) =>
      statement && selfChecked ? everyRow(statement, rows) : statement;
    const begun = client.query("BEGIN");
    begun.catch(() => {});
    sent.push({ result: begun });
    if (updates.length > 1) send(lockSagas(updates.map(({ work }) => work.next.id)), undefined, planned);
    if (creates.length > 0) send(insertSagas(this.#type, creates, now));
    const updated =
      updates.length > 0
        ? send(checked(updateSagas(updates, now), updates.length), undefined, planned)
        : undefined;
    send(insertHistory(batch));
    const stored = send(
      insertOutbox(
        batch.flatMap(({ work }) => work.outbox),
        now,
        handOver?.holder,
      ),
    );
    const consuming = batch.flatMap(({ work }) => work.consumedMessageId ?? []);
    const consumed = send(checked(insertConsumed(consuming, now), consuming.length));
    for (const pending of batch) {
      const { next } = pending.work;
      for (const statement of this.#project(next.id, next.data, pending.created)) send(statement, pending);
    }
    return { sent, updates, updated, consumed, stored };
  }

  /** The outbox rows a committed batch inserted (held by this instance), to the relay. */
  async #handOver(
    batch: Pending<Data>[],
    stored: Promise<pg.QueryResult> | undefined,
    handOver: HandOver | undefined,
  ): Promise<void> {
    if (!stored || !handOver) return;
    const { rows } = await stored;
    handOver.deliver(
      heldRows(
        rows as { id: number; message_id: string }[],
        batch.flatMap(({ work }) => work.outbox),
      ),
    );
  }

  /** One transaction for `batch`: every statement sent at once, each outcome checked here, then COMMIT or ROLLBACK. */
  async #attempt(client: pg.PoolClient, batch: Pending<Data>[]): Promise<Attempt<Data>> {
    const handOver = this.#outbox();
    const { sent, updates, updated, consumed, stored } = this.#send(client, batch, false, handOver);
    const failed = new Map<Pending<Data>, unknown>();
    let error: unknown;
    for (const { result, owner } of sent) {
      try {
        await result;
      } catch (statementError) {
        // Only the first error says anything: the statements after it fail because the transaction is aborted.
        if (owner) failed.set(owner, statementError);
        else error = statementError;
        break;
      }
    }
    if (failed.size === 0 && error === undefined) {
      const updatedIds = new Set((await updated)?.rows.map((row: { id: number }) => Number(row.id)));
      const consumedIds = new Set(
        (await consumed)?.rows.map((row: { message_id: string }) => row.message_id),
      );
      for (const pending of updates) {
        const { next, expectedVersion } = pending.work;
        if (!updatedIds.has(next.id))
          failed.set(
            pending,
            new ConcurrencyError(`saga ${next.id} changed since version ${expectedVersion}`),
          );
      }
      // Each id inserted is the first of the batch's transitions that consume it; any other one fails.
      for (const pending of batch) {
        const message = pending.work.consumedMessageId;
        if (message !== undefined && !failed.has(pending) && !consumedIds.delete(message))
          failed.set(pending, new ConcurrencyError(`message ${message} was consumed concurrently`));
      }
      if (failed.size === 0) {
        await client.query("COMMIT");
        await this.#handOver(batch, stored, handOver);
        return { committed: true };
      }
    }
    try {
      await client.query("ROLLBACK");
    } catch (rollbackError) {
      throw new BrokenConnection(failed.values().next().value ?? error ?? rollbackError);
    }
    return failed.size > 0 ? { committed: false, failed } : { committed: false, error };
  }
}
