import type { SqliteDatabase } from "./open-sqlite.js";

/**
 * better-sqlite3 has one connection per Database and is synchronous, so a transaction that awaits (a handler doing
 * async work) would let any other code on the connection run inside it: its writes would commit or roll back with
 * someone else's transaction, and its reads would see uncommitted rows. Every async user of a connection therefore
 * goes through that connection's queue: one critical section at a time, in call order.
 */
const queues = new WeakMap<SqliteDatabase, { tail: Promise<unknown> }>();

/** Runs `work` once every earlier exclusive section and transaction on `db` has finished. */
export function exclusive<T>(db: SqliteDatabase, work: () => T | Promise<T>): Promise<T> {
  let queue = queues.get(db);
  if (!queue) queues.set(db, (queue = { tail: Promise.resolve() }));
  const result = queue.tail.then(work);
  queue.tail = result.catch(() => {}); // a failed section does not stop the ones behind it
  return result;
}

/** Most units of work one COMMIT carries; bounds how long the write lock is held and what one failed commit redoes. */
const MAX_GROUP = 128;

interface Pending {
  readonly work: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: the units of work queued on a connection while it is busy share one BEGIN ... COMMIT, each inside
 * its own SAVEPOINT, so one that throws rolls back alone. A commit is the expensive part of a small transaction
 * (the WAL write), so under load N messages cost one instead of N; alone, a unit commits after one event-loop turn.
 */
class GroupCommit {
  readonly #db: SqliteDatabase;
  readonly #queue: Pending[] = [];
  #scheduled = false;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      void exclusive(this.#db, async () => {
        this.#scheduled = false;
        await this.#commitQueued();
      });
    });
  }

  /** Runs the queued units (and those that arrive meanwhile) in groups of at most MAX_GROUP. */
  async #commitQueued(): Promise<void> {
    const db = this.#db;
    while (this.#queue.length > 0) {
      try {
        db.exec("BEGIN IMMEDIATE");
      } catch (error) {
        this.#queue.shift()?.reject(error); // the database is closed or locked: fail the oldest, do not spin
        continue;
      }
      const done: { pending: Pending; value: unknown }[] = [];
      const failed: { pending: Pending; error: unknown }[] = [];
      try {
        let waited = false;
        while (done.length < MAX_GROUP) {
          // One more turn before committing lets the deliveries of the next socket read join this group; only one,
          // or under steady load the group would grow to MAX_GROUP while its first units wait for their commit.
          if (this.#queue.length === 0 && !waited) {
            waited = true;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          const pending = this.#queue.shift();
          if (!pending) break;
          db.exec("SAVEPOINT unit");
          try {
            done.push({ pending, value: await pending.work() });
            db.exec("RELEASE unit");
          } catch (error) {
            failed.push({ pending, error });
            // An error SQLite answers by rolling the whole transaction back (disk full, I/O) takes the group with it.
            if (!db.inTransaction) throw error;
            db.exec("ROLLBACK TO unit");
            db.exec("RELEASE unit");
          }
        }
        db.exec("COMMIT");
        for (const { pending, value } of done) pending.resolve(value);
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        // The others' writes are gone with the transaction: each is told, and its caller retries or gives up.
        for (const { pending } of done) pending.reject(error);
      }
      // Settled once the transaction is over, so a caller never sees its connection still inside it.
      for (const { pending, error } of failed) pending.reject(error);
    }
  }
}

const groups = new WeakMap<SqliteDatabase, GroupCommit>();

/**
 * `work` in a SQLite transaction, exclusive on the connection: its writes commit when it resolves and roll back when
 * it throws (the error is passed on). Units queued at the same time commit together (see GroupCommit); the promise
 * resolves only once the COMMIT that carries this unit succeeded. BEGIN IMMEDIATE takes the write lock at once, so
 * the commit cannot fail for a concurrent writer.
 */
export function transaction<T>(db: SqliteDatabase, work: () => Promise<T>): Promise<T> {
  let group = groups.get(db);
  if (!group) groups.set(db, (group = new GroupCommit(db)));
  return group.run(work);
}
