import type { SqliteDatabase } from "./sqlite.js";

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

/**
 * `work` in one SQLite transaction, exclusive on the connection: BEGIN IMMEDIATE (takes the write lock at once, so
 * the commit cannot fail for a concurrent writer), COMMIT when `work` resolves, ROLLBACK when it or the commit
 * throws (the error is passed on).
 */
export function transaction<T>(db: SqliteDatabase, work: () => Promise<T>): Promise<T> {
  return exclusive(db, async () => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = await work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
  });
}
