/**
 * Calls made in one event-loop turn, answered together by one query: the engine reads a saga and checks a reply's
 * message id for every reply of a socket read, and one `= ANY($1)` query serves them all.
 */
export class TurnBatch<Key, Value> {
  readonly #run: (keys: Key[]) => Promise<Value[]>;
  #pending: { key: Key; resolve: (value: Value) => void; reject: (error: unknown) => void }[] = [];

  /** `run` answers the keys in their order. */
  constructor(run: (keys: Key[]) => Promise<Value[]>) {
    this.#run = run;
  }

  get(key: Key): Promise<Value> {
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ key, resolve, reject }) === 1) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    try {
      const values = await this.#run(pending.map(({ key }) => key));
      pending.forEach(({ resolve }, index) => resolve(values[index]!));
    } catch (error) {
      for (const { reject } of pending) reject(error);
    }
  }
}
