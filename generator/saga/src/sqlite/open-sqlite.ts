import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { SagaError } from "../errors.js";

export type SqliteDatabase = Database.Database;

/**
 * SQLite's own default page cache, 2 MiB per connection. better-sqlite3 builds SQLite with 16 MiB instead, and a
 * participant's cache grew into it within a minute of the saga bench: 17 of its 23 MB of malloc'd memory
 * (heaptrack), its peak RSS from 73 to 89-91 MB over 60 s (`bench/memory-breakdown.ts sqlite 64 60`). The pages a
 * participant touches under load, the last ones of each table and index, fit in 2 MiB; with it, that run used no
 * more CPU per saga. Other pages are read back from the operating system's file cache.
 */
export const DEFAULT_PAGE_CACHE_KIB = 2048;

/**
 * Opens (or creates) a SQLite database and brings its schema up to date. `migrations[i]` moves the schema from
 * version i to i+1; the applied version lives in `PRAGMA user_version`, so a restart only runs what is new.
 * `:memory:` gives a private database (tests). A file is held by one process at a time (`holdInstanceLock`).
 * `pageCacheKiB` bounds the connection's page cache.
 */
export function openSqlite(
  file: string,
  migrations: readonly string[],
  pageCacheKiB = DEFAULT_PAGE_CACHE_KIB,
): SqliteDatabase {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  if (file !== ":memory:") holdInstanceLock(file);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  // Each unit of a group commit runs in a savepoint, whose journal (the pages it changed, as they were) SQLite
  // spills to a temporary file past 64 KiB: in memory instead, the order service wrote a sixth as much.
  db.pragma("temp_store = MEMORY");
  db.pragma(`cache_size = -${pageCacheKiB}`); // negative: KiB, not pages
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  const current = db.pragma("user_version", { simple: true }) as number;
  const migrate = db.transaction(() => {
    for (let version = current; version < migrations.length; version++) {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }
  });
  migrate();
  return db;
}

/** The lock connections this process holds, by lock file: kept for the process's lifetime. */
const heldLocks = new Map<string, SqliteDatabase>();

/**
 * Refuses a second process on the same database file (SAGA_DATABASE_IN_USE): its ids and effects would interleave
 * with the first's. The first open in a process opens `<file>.lock` in SQLite's exclusive locking mode and writes
 * to it, so this process holds that file's lock (an OS file lock) until it exits or dies, SIGKILL included. Further
 * connections of the same process are let through (a test's inspection, an in-process restart); the database
 * itself stays readable by other processes (the sqlite3 shell, tests' read-only checks).
 */
function holdInstanceLock(file: string): void {
  const lockFile = `${path.resolve(file)}.lock`;
  if (heldLocks.has(lockFile)) return;
  const lock = new Database(lockFile, { timeout: 0 }); // a held lock is an answer, not something to wait for
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec(`CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at TEXT NOT NULL);
      DELETE FROM holder;`);
    lock.prepare("INSERT INTO holder VALUES (?, ?)").run(process.pid, new Date().toISOString());
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
    throw new SagaError(
      "SAGA_DATABASE_IN_USE",
      `${file} is in use by another process (${lockFile} is locked): a service on SQLite runs as one instance; ` +
        "stop the other one, or run several on PostgreSQL where the service supports it (DATABASE_URL)",
      { file, lockFile },
      { cause: error },
    );
  }
  heldLocks.set(lockFile, lock);
}
