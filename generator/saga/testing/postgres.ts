import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server tests use (trust auth, user postgres); `TEST_POSTGRES_URL` overrides it (without a database path). */
export const TEST_POSTGRES_BASE = (
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432"
).replace(/\/+$/, "");

/**
 * A private database for one test file (`saga_test_<label>_<random>`), so files run in parallel without seeing each
 * other's rows. Returns its URL and a function that drops it, closing whatever connections are left.
 */
export async function createTestDatabase(
  label: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `saga_test_${label.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `${TEST_POSTGRES_BASE}/${name}`,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${TEST_POSTGRES_BASE}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
