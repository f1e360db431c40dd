import { silentLogger } from "@asyncgen/runtime";
import type { Socket } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresPool, pgSocket } from "../src/postgres/pool.js";
import { createTestDatabase } from "../testing/index.js";

/**
 * A service pool's connections send the queries queued in one turn of the event loop in one socket write: a group
 * commit's statements and its COMMIT, or the statements of a batch of handlers, cost one system call, not one each.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("pool_writes");
  pool = openPostgresPool(database.url, silentLogger, { pipeline: true });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** Counts the writes `socket` hands to the operating system (Node's stream calls _write or _writev for each). */
function countWrites(socket: Socket): { writes: number } {
  const count = { writes: 0 };
  const internals = socket as unknown as Record<"_write" | "_writev", (...args: unknown[]) => void>;
  for (const method of ["_write", "_writev"] as const) {
    const original = internals[method].bind(socket);
    internals[method] = (...args: unknown[]) => {
      count.writes++;
      original(...args);
    };
  }
  return count;
}

describe("openPostgresPool", () => {
  it("finds the socket under a pg client (a pg upgrade that moves it fails here)", async () => {
    const client = await pool.connect();
    try {
      expect(pgSocket(client)).toBeDefined();
    } finally {
      client.release();
    }
  });

  it("sends the queries of one turn in one write, and those of a later turn in another", async () => {
    const client = await pool.connect();
    try {
      const count = countWrites(pgSocket(client)!);
      const sum = `SELECT $1::int + $2::int AS sum`;
      const first = [1, 2, 3, 4].map((n) => client.query(sum, [n, n]));
      const answers = await Promise.all(first);
      expect(answers.map(({ rows }) => rows[0].sum)).toEqual([2, 4, 6, 8]);
      expect(count.writes).toBe(1);
      await Promise.all([client.query(sum, [5, 5]), client.query("SELECT 1")]);
      expect(count.writes).toBe(2);
    } finally {
      client.release();
    }
  });
});
