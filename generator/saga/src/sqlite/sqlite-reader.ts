import type { Statement } from "better-sqlite3";
import type { RetentionDatabase } from "../retention.js";
import type { SqliteDatabase } from "./open-sqlite.js";
import { exclusive } from "./sqlite-transaction.js";

/**
 * One statement at a time on a connection that others use through `exclusive`/`transaction` (a participant's
 * database): each runs after the transaction in flight, on its own (its own short write transaction if it writes).
 * Statements that return rows only (`SELECT`, `... RETURNING`); prepared once per text.
 */
export function sqliteReader(db: SqliteDatabase): RetentionDatabase {
  const statements = new Map<string, Statement<unknown[]>>();
  return {
    dialect: "sqlite",
    all: <Row>(sql: string, params: readonly unknown[] = []) =>
      exclusive(db, () => {
        let statement = statements.get(sql);
        if (!statement) statements.set(sql, (statement = db.prepare<unknown[]>(sql)));
        return statement.all(...params) as Row[];
      }),
  };
}
