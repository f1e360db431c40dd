import { existsSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { ServiceName } from "./system-under-test.js";

/**
 * Read access to the four services' databases, as tests and the fault suite check them while the services keep
 * writing: their SQLite files in `dataDir` (read-only connections), or, with `databaseUrl`, the one PostgreSQL
 * database they share (the order service's tables on the default search path, each participant's in its schema).
 * Queries use `?` placeholders; `dialect` says which SQL a check must speak where the two differ (JSON).
 */
export class ServiceDatabases {
  readonly dialect: "sqlite" | "postgres";
  readonly #dataDir: string;
  readonly #databaseUrl: string | undefined;
  readonly #pools = new Map<ServiceName, pg.Pool>();

  constructor(location: { readonly dataDir: string; readonly databaseUrl?: string | undefined }) {
    this.#dataDir = location.dataDir;
    this.#databaseUrl = location.databaseUrl || undefined;
    this.dialect = this.#databaseUrl ? "postgres" : "sqlite";
  }

  async query<Row>(service: ServiceName, sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (!this.#databaseUrl) return this.#sqlite(service, (db) => db.prepare(sql).all(...params) as Row[]);
    let index = 0;
    const text = sql.replace(/\?/g, () => `$${++index}`);
    return (await this.#pool(service).query(text, params as unknown[])).rows as Row[];
  }

  /** Whether the service's database has `table` (the fault suite also runs services without an outbox). */
  async hasTable(service: ServiceName, table: string): Promise<boolean> {
    if (!this.#databaseUrl)
      return this.#sqlite(service, (db) =>
        Boolean(db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table)),
      );
    const rows = await this.query(
      service,
      `SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()`,
      [table],
    );
    return rows.length > 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.end()));
    this.#pools.clear();
  }

  #sqlite<T>(service: ServiceName, read: (db: Database.Database) => T): T {
    const file = path.join(this.#dataDir, `${service}.sqlite`);
    if (!existsSync(file)) throw new Error(`${service}: no database at ${file}`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  #pool(service: ServiceName): pg.Pool {
    let pool = this.#pools.get(service);
    if (!pool) {
      const schema = service === "order-service" ? undefined : service.replace("-", "_");
      pool = new pg.Pool({
        connectionString: this.#databaseUrl,
        max: 2,
        ...(schema ? { options: `-c search_path=${schema}` } : {}),
        // Counts and ids are BIGINT: read them as numbers, as the services do.
        types: {
          getTypeParser: ((oid: number, format?: "text" | "binary") =>
            oid === pg.types.builtins.INT8
              ? Number
              : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
        },
      });
      pool.on("error", () => {}); // a check's connection lost while the services restart: the next query reconnects
      this.#pools.set(service, pool);
    }
    return pool;
  }
}
