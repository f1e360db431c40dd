import { AsyncLocalStorage } from "node:async_hooks";
import type pg from "pg";
import type { OutgoingMessage } from "@asyncgen/runtime";
import {
  BatchQueue,
  BrokenConnection,
  heldRows,
  insertConsumed,
  insertOutbox,
  prepared,
  type HandOver,
} from "@asyncgen/saga/postgres";

/** Most messages one transaction carries: bounds its statements' size and what one failed member redoes. */
const MAX_BATCH = 128;
/** Batches committing at once, each on its own connection (see BatchQueue). */
const BATCHES_IN_FLIGHT = 2;

/** SQLSTATEs of a transaction PostgreSQL aborted to break a cycle of waits: no member's own fault. */
const RETRY_ALONE = new Set(["40P01", "40001"]);
/** SQLSTATE of a statement refused because an earlier one (another member's, say) aborted the transaction. */
const IN_FAILED_TRANSACTION = "25P02";

type Outcome = "committed" | "duplicate";

interface PendingMessage {
  readonly messageId: string;
  readonly work: () => Promise<readonly OutgoingMessage[]>;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}

/** Why an attempt at committing a batch rolled back; the members answered as duplicates are settled either way. */
interface Failure {
  readonly duplicates: ReadonlySet<PendingMessage>;
  /** The members whose own work failed, with their errors: the batch is redone without them. */
  readonly failed: ReadonlyMap<PendingMessage, unknown>;
  /** A failure no member is known to have caused (a deadlock, the batch's own statements): redo each alone. */
  readonly error?: unknown;
}

type Attempt = { readonly committed: true } | ({ readonly committed: false } & Failure);

function sqlState(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

/**
 * Group commit of a participant's messages on PostgreSQL: the messages arriving while earlier batches commit share
 * one transaction on one connection of a pipelined pool. Per batch: BEGIN and one dedup INSERT of every message id
 * (sorted, so that instances lock them in one order) sent together; the ids it returned are new, the others
 * duplicates, answered as such (the INSERT waits for another instance's uncommitted row of the same id, and conflicts
 * once that committed, so a message has its effect once). The new members' handlers then run concurrently, their
 * statements on the batch's connection (found through `connection()`); one INSERT of every reply and the COMMIT
 * follow, sent together. Besides its handlers' statements (side by side), a batch takes two round trips and one WAL
 * flush, where each message alone took four (BEGIN, dedup, reply, COMMIT) and a flush of its own.
 *
 * Each message stays atomic. A member whose work throws (its own error, not the "transaction is aborted" its
 * failed statement caused the others) is rejected with its error, after the batch rolled back and committed again
 * without it; a deadlock, or a failure naming no member, redoes each member alone, so only its own work can fail it.
 * A member redone runs its work again, on a transaction without its earlier writes, as a redelivery would.
 * A connection that breaks fails the batch's unsettled members with the cause (BatchQueue) and is discarded.
 */
export class PostgresMessageBatches {
  readonly #queue: BatchQueue<PendingMessage>;
  readonly #connection = new AsyncLocalStorage<pg.PoolClient>();
  readonly #committed: () => void;
  readonly #outbox: () => HandOver | undefined;

  /**
   * `committed` is called after each commit that stored replies (the relay's kick). While `outbox` gives a hand-over
   * (this instance's relay runs), the replies are inserted held by this instance and handed to the relay once
   * committed.
   */
  constructor(pool: pg.Pool, committed: () => void, outbox: () => HandOver | undefined) {
    this.#committed = committed;
    this.#outbox = outbox;
    this.#queue = new BatchQueue(pool, {
      commit: (client, batch) => this.#commitOn(client, batch),
      maxBatch: MAX_BATCH,
      inFlight: BATCHES_IN_FLIGHT,
      // A redelivery of a message in flight waits for its batch, then finds it consumed (or not, if it failed).
      key: (pending) => pending.messageId,
    });
  }

  /** The connection of the batch whose handler is running here, where its statements belong. */
  connection(): pg.PoolClient | undefined {
    return this.#connection.getStore();
  }

  /** Resolves once the message's transaction committed, or it was found consumed; rejects as a lone one would. */
  transact(messageId: string, work: () => Promise<readonly OutgoingMessage[]>): Promise<Outcome> {
    return new Promise((resolve, reject) => this.#queue.push({ messageId, work, resolve, reject }));
  }

  async #commitOn(client: pg.PoolClient, batch: PendingMessage[]): Promise<void> {
    // A failed member is told only after the rest of its batch committed, as alone it would be after its rollback.
    const failed: [PendingMessage, unknown][] = [];
    try {
      let rest = batch;
      while (rest.length > 0) {
        const attempt = await this.#attempt(client, rest);
        if (attempt.committed) return;
        failed.push(...attempt.failed);
        rest = rest.filter((pending) => !attempt.failed.has(pending) && !attempt.duplicates.has(pending));
        if (!("error" in attempt) || rest.length === 0) continue;
        if (rest.length === 1) {
          failed.push([rest[0]!, attempt.error]);
          return;
        }
        for (const pending of rest) {
          const alone = await this.#attempt(client, [pending]);
          if (alone.committed) continue;
          failed.push(...alone.failed);
          if ("error" in alone) failed.push([pending, alone.error]);
        }
        return;
      }
    } finally {
      for (const [pending, error] of failed) pending.reject(error);
    }
  }

  /** One transaction for `batch`: committed when every new member's work succeeded, else rolled back. */
  async #attempt(client: pg.PoolClient, batch: PendingMessage[]): Promise<Attempt> {
    const now = new Date().toISOString();
    const ids = batch.map(({ messageId }) => messageId).sort();
    const dedup = insertConsumed(ids, now)!;
    let fresh: Set<string>;
    try {
      const [, inserted] = await Promise.all([
        client.query("BEGIN"),
        client.query<{ message_id: string }>(prepared(dedup.sql, dedup.params)),
      ]);
      fresh = new Set(inserted.rows.map((row) => row.message_id));
    } catch (error) {
      return this.#rollBack(client, { duplicates: new Set(), failed: new Map(), error });
    }
    const duplicates = new Set(batch.filter(({ messageId }) => !fresh.has(messageId)));
    for (const pending of duplicates) pending.resolve("duplicate");
    const members = batch.filter((pending) => !duplicates.has(pending));
    const outcomes = await Promise.allSettled(
      members.map((pending) => this.#connection.run(client, async () => pending.work())),
    );
    const rejections = outcomes.flatMap((outcome, index) =>
      outcome.status === "rejected" ? [{ pending: members[index]!, error: outcome.reason as unknown }] : [],
    );
    if (rejections.length > 0) {
      const state = ({ error }: { error: unknown }) => sqlState(error) ?? "";
      const deadlock = rejections.find((rejection) => RETRY_ALONE.has(state(rejection)));
      // The others' statements refused after a culprit's failed are not their fault: the culprit goes alone.
      const culprits = rejections.filter(
        (rejection) => !RETRY_ALONE.has(state(rejection)) && state(rejection) !== IN_FAILED_TRANSACTION,
      );
      return this.#rollBack(
        client,
        deadlock || culprits.length === 0
          ? { duplicates, failed: new Map(), error: (deadlock ?? rejections[0]!).error }
          : { duplicates, failed: new Map(culprits.map(({ pending, error }) => [pending, error])) },
      );
    }
    const replies = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? outcome.value : []));
    const handOver = this.#outbox();
    const outbox = insertOutbox(replies, now, handOver?.holder);
    const [stored, commit] = await Promise.allSettled([
      outbox ? client.query(prepared(outbox.sql, outbox.params)) : undefined,
      client.query("COMMIT"),
    ]);
    if (commit.status === "fulfilled" && commit.value.command === "COMMIT") {
      for (const pending of members) pending.resolve("committed");
      if (handOver && stored.status === "fulfilled" && stored.value)
        handOver.deliver(heldRows(stored.value.rows as { id: number; message_id: string }[], replies));
      if (replies.length > 0) this.#committed();
      return { committed: true };
    }
    // COMMIT of an aborted transaction rolls it back and says so: the outbox INSERT failed, or a handler caught the
    // error of a statement of its own and went on.
    const cause =
      commit.status === "rejected"
        ? commit.reason
        : stored.status === "rejected" && sqlState(stored.reason) !== IN_FAILED_TRANSACTION
          ? stored.reason
          : new Error("the transaction was aborted by a failed statement whose error a handler caught");
    return this.#rollBack(client, { duplicates, failed: new Map(), error: cause });
  }

  /**
   * Ends the transaction (a no-op, warned of, when it already ended); a connection that cannot even do that is
   * broken: BatchQueue discards it and fails the batch with the first error.
   */
  async #rollBack(client: pg.PoolClient, failure: Failure): Promise<Attempt> {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackError) {
      throw new BrokenConnection(failure.failed.values().next().value ?? failure.error ?? rollbackError);
    }
    return { committed: false, ...failure };
  }
}
