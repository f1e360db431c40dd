import type pg from "pg";
import { SagaError } from "../errors.js";
import { POSTGRES } from "../outbox-table.js";
import type { Migration } from "../sql.js";

/**
 * Applies what is new of `migrations` in one transaction under an advisory lock: a second instance starting at the
 * same time waits, then finds the schema current.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[],
  schemaName: string,
): Promise<void> {
  const table = `${schemaName.replace(/\W/g, "_")}_migrations`;
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${schemaName} migrations`]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      `SELECT COALESCE(MAX(version), 0) AS version FROM ${table}`,
    );
    for (let version = rows[0]!.version; version < migrations.length; version++) {
      try {
        await client.query(migrations[version]!(POSTGRES));
      } catch (error) {
        throw new SagaError(
          "DB_MIGRATION_FAILED",
          `${schemaName}: migration ${version + 1} failed: ${(error as Error).message}`,
          { schema: schemaName, migration: version + 1 },
          { cause: error },
        );
      }
      await client.query(`INSERT INTO ${table} (version) VALUES ($1)`, [version + 1]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
