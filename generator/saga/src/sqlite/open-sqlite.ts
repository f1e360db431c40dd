import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type SqliteDatabase = Database.Database;

/**
 * Opens (or creates) a SQLite database and brings its schema up to date. `migrations[i]` moves the schema from
 * version i to i+1; the applied version lives in `PRAGMA user_version`, so a restart only runs what is new.
 * `:memory:` gives a private database (tests).
 */
export function openSqlite(file: string, migrations: readonly string[]): SqliteDatabase {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
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
