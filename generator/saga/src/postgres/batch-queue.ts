import type pg from "pg";

/** What a queued item must offer: a way to fail it when its batch's connection is lost. */
export interface BatchItem {
  readonly reject: (error: unknown) => void;
}

export interface BatchQueueOptions<Item extends BatchItem> {
  /** Commits one batch on a connection of its own; throws (BrokenConnection, say) only when the connection broke. */
  readonly commit: (client: pg.PoolClient, batch: Item[]) => Promise<void>;
  /** Most items one transaction carries: bounds its statements' size and what one failed commit redoes. */
  readonly maxBatch: number;
  /**
   * Batches committing at once, each on its own connection: while one waits for its WAL flush the next is sent, and
   * PostgreSQL flushes concurrent commits together.
   */
  readonly inFlight: number;
  /** Items with one key are never in a batch together, nor in two at once: the later waits, keeping its place. */
  readonly key: (item: Item) => unknown;
}

/** The connection could not even roll back: it is discarded, and what was on it fails with the first error. */
export class BrokenConnection extends Error {
  constructor(readonly original: unknown) {
    super("connection broken during a batch", { cause: original });
  }
}

/**
 * The queue of a group commit on PostgreSQL: items queued while earlier batches commit go together into the next
 * batch, which `commit` writes in one transaction on a pool connection. A batch starts one turn after the first
 * item queued, so the items of the same socket read join it.
 *
 * A connection that breaks during a batch (its `commit` throws, or the connection reports an error, even while no
 * query of it is running) is discarded rather than handed back to the pool, and every item of the batch not yet
 * settled is rejected with the cause; the next batch takes a fresh connection.
 */
export class BatchQueue<Item extends BatchItem> {
  readonly #pool: pg.Pool;
  readonly #options: BatchQueueOptions<Item>;
  readonly #queue: Item[] = [];
  /** Keys of the items in a batch being committed. */
  readonly #busy = new Set<unknown>();
  #inFlight = 0;
  #scheduled = false;

  constructor(pool: pg.Pool, options: BatchQueueOptions<Item>) {
    this.#pool = pool;
    this.#options = options;
  }

  push(item: Item): void {
    this.#queue.push(item);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.inFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#startBatch();
    });
  }

  #startBatch(): void {
    const { key, maxBatch } = this.#options;
    const batch: Item[] = [];
    const keys = new Set<unknown>();
    for (let index = 0; index < this.#queue.length && batch.length < maxBatch;) {
      const item = this.#queue[index]!;
      const itemKey = key(item);
      if (this.#busy.has(itemKey) || keys.has(itemKey)) {
        index++;
        continue;
      }
      keys.add(itemKey);
      batch.push(item);
      this.#queue.splice(index, 1);
    }
    if (batch.length === 0) return;
    for (const itemKey of keys) this.#busy.add(itemKey);
    this.#inFlight++;
    void this.#commit(batch).finally(() => {
      for (const itemKey of keys) this.#busy.delete(itemKey);
      this.#inFlight--;
      this.#schedule();
    });
    this.#schedule();
  }

  async #commit(batch: Item[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    // A checked-out client has no 'error' listener of the pool's: without this one, a connection lost between two
    // queries of the batch (while handlers run, say) would be an uncaught 'error' event.
    let lost: Error | undefined;
    const onError = (error: Error) => (lost ??= error);
    client.on("error", onError);
    let failure: unknown;
    try {
      await this.#options.commit(client, batch);
    } catch (error) {
      failure = error instanceof BrokenConnection ? error.original : error;
    } finally {
      client.removeListener("error", onError);
    }
    // The connection's own error says why; the queries after it only say the client is no longer queryable.
    if (lost) failure = lost;
    if (failure !== undefined) {
      for (const item of batch) item.reject(failure); // settling twice is a no-op for those already told
    }
    client.release(
      failure === undefined ? undefined : failure instanceof Error ? failure : new Error(String(failure)),
    );
  }
}
