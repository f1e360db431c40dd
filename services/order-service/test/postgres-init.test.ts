import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { openOrderDatabase } from "../src/create-order-saga/order-store.js";
import { TEST_POSTGRES_BASE } from "../testing/postgres.js";

/**
 * The script docker-compose.yaml runs in the postgres container at its first start, run here against the local
 * server: it creates the order service's own role and database, on which the service then migrates its schema.
 */
const SCRIPT = path.resolve(import.meta.dirname, "../postgres/create-order-database.sh");
const suffix = randomBytes(4).toString("hex");
const role = `saga_test_role_${suffix}`;
const name = `saga_test_init_${suffix}`;
const server = new URL(TEST_POSTGRES_BASE);

async function asSuperuser(sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: `${TEST_POSTGRES_BASE}/postgres` });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await asSuperuser(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await asSuperuser(`DROP ROLE IF EXISTS ${role}`);
});

describe("the order service's PostgreSQL role and database (compose init script)", () => {
  it("creates a role owning its database, where the service migrates its schema", async () => {
    execFileSync("sh", [SCRIPT], {
      env: {
        ...process.env,
        PGHOST: server.hostname,
        PGPORT: server.port || "5432",
        POSTGRES_USER: server.username || "postgres",
        ORDER_DB_USER: role,
        ORDER_DB_PASSWORD: "local-test-only",
        ORDER_DB_NAME: name,
      },
      stdio: "pipe",
    });
    const url = `postgres://${role}:local-test-only@${server.host}/${name}`;
    const store = await openOrderDatabase({ databaseUrl: url }, pino({ level: "silent" }));
    try {
      expect(await store.all(`SELECT tableowner FROM pg_tables WHERE tablename = 'orders'`)).toEqual([
        { tableowner: role },
      ]);
    } finally {
      await store.close();
    }
  });

  it("refuses to run without the role's name and password", () => {
    expect(() => execFileSync("sh", [SCRIPT], { env: { PATH: process.env.PATH }, stdio: "pipe" })).toThrow(
      /ORDER_DB_USER is required/,
    );
  });
});
