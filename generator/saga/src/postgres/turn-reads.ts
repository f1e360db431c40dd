import type pg from "pg";

/** Keys of one kind waiting for the turn's round trip, and what their query does with them. */
interface Taken {
  /** Sends the query on `client` at once (before its first await), and settles the keys' calls with its answer. */
  start(client: pg.ClientBase): Promise<void>;
  fail(error: unknown): void;
}

/** One kind of read: `get` queues a key for the turn's round trip and resolves with its value. */
export class TurnRead<Key, Value> {
  readonly #run: (client: pg.ClientBase, keys: Key[]) => Promise<Value[]>;
  readonly #queued: (read: TurnRead<Key, Value>) => void;
  #pending: { key: Key; resolve: (value: Value) => void; reject: (error: unknown) => void }[] = [];

  constructor(
    run: (client: pg.ClientBase, keys: Key[]) => Promise<Value[]>,
    queued: (read: TurnRead<Key, Value>) => void,
  ) {
    this.#run = run;
    this.#queued = queued;
  }

  get(key: Key): Promise<Value> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ key, resolve, reject }) === 1) this.#queued(this);
    });
  }

  /** The keys queued so far, for one query; later ones wait for the next round trip. */
  take(): Taken {
    const pending = this.#pending;
    this.#pending = [];
    const fail = (error: unknown) => {
      for (const { reject } of pending) reject(error);
    };
    return {
      start: (client) =>
        this.#run(
          client,
          pending.map(({ key }) => key),
        ).then(
          (values) => pending.forEach(({ resolve }, index) => resolve(values[index]!)),
          (error: unknown) => {
            fail(error);
            throw error;
          },
        ),
      fail,
    };
  }
}

/**
 * The engine's reads answered together: each kind (the sagas it loads, the reply message ids it checks, the saga ids
 * it reserves) is one `= ANY($1)` query over the keys queued, and the queries of every kind go out together on one
 * connection, pipelined and in one write (the pool's connections write each turn's queries at once), instead of one connection and round trip each.
 *
 * One round trip is in flight at a time: the reads queued while it runs go together in the next, sent as soon as it
 * is answered. Under load the bursts of replies of a few milliseconds (each participant's group commit, each socket
 * read) so share one read, and the transitions planned from them one batch, which shares the fixed cost of a read, a
 * commit, a notification and a relay pass between more sagas; a read alone still leaves in the turn it was asked
 * for, with no timer to wait out.
 */
export class TurnReads {
  readonly #pool: pg.Pool;
  /** The kinds with keys waiting for the next round trip. */
  readonly #queued = new Set<{ take(): Taken }>();
  #inFlight = false;
  #scheduled = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** A kind of read; `run` answers the keys in their order, its query sent before its first await. */
  read<Key, Value>(run: (client: pg.ClientBase, keys: Key[]) => Promise<Value[]>): TurnRead<Key, Value> {
    return new TurnRead(run, (read) => {
      this.#queued.add(read);
      this.#schedule();
    });
  }

  /** One turn later, so the reads of the same socket read join; after the round trip in flight, if there is one. */
  #schedule(): void {
    if (this.#scheduled || this.#inFlight || this.#queued.size === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#inFlight = true;
      void this.#flush().finally(() => {
        this.#inFlight = false;
        this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    const taken = [...this.#queued].map((read) => read.take());
    this.#queued.clear();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      for (const reads of taken) reads.fail(error);
      return;
    }
    const outcomes = await Promise.allSettled(taken.map((reads) => reads.start(client)));
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    // As pool.query does: a connection whose query failed is not handed out again.
    client.release(
      failed && (failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason))),
    );
  }
}
