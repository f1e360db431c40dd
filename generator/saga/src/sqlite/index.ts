// @asyncgen/saga/sqlite: the saga store on SQLite (better-sqlite3), and the connection helpers participants share.
export { openSqlite, type SqliteDatabase } from "./open-sqlite.js";
export { sqliteReader } from "./sqlite-reader.js";
export { exclusive, transaction } from "./sqlite-transaction.js";
export { SqliteSagaStore } from "./sqlite-store.js";
