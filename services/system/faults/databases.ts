import { existsSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { ServiceName } from "@saga/order-service/testing";

/** Runs `read` on a read-only connection to a service's SQLite file (the services keep writing meanwhile). */
export function readDatabase<T>(
  dataDir: string,
  service: ServiceName,
  read: (db: Database.Database) => T,
): T {
  const file = path.join(dataDir, `${service}.sqlite`);
  if (!existsSync(file)) throw new Error(`${service}: no database at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Unsent outbox rows, or undefined when the service has no `outbox` table. */
export function pendingOutbox(db: Database.Database): number | undefined {
  const hasOutbox = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'`).get();
  if (!hasOutbox) return undefined;
  return db.prepare(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`).pluck().get() as number;
}

/** Sagas not yet succeeded or failed. */
export function unfinishedSagas(db: Database.Database): number {
  return db
    .prepare(`SELECT count(*) FROM sagas WHERE status NOT IN ('succeeded', 'failed')`)
    .pluck()
    .get() as number;
}

/** Commands the order service resent because a step's deadline passed (recorded in the saga history). */
export function resentCommands(db: Database.Database): number {
  return db
    .prepare(`SELECT count(*) FROM saga_history WHERE json_extract(detail, '$.deadline') = 'passed'`)
    .pluck()
    .get() as number;
}

/** Sagas that failed because a step's deadline passed too often (the orchestrator gave the step up). */
export function sagasGivenUp(db: Database.Database): number {
  return db
    .prepare(`SELECT count(*) FROM sagas WHERE json_extract(failure_details, '$.type') = 'DeadlineExceeded'`)
    .pluck()
    .get() as number;
}
