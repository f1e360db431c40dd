import { silentLogger } from "@asyncgen/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresPool } from "../src/postgres/pool.js";
import { TurnReads } from "../src/postgres/turn-reads.js";
import { createTestDatabase } from "../testing/index.js";

/**
 * The engine's reads asked together share one connection and one round trip (TurnReads), one in flight at a time:
 * each kind of read is one query over the keys queued, and a failure reaches the callers of the read that failed, nobody else.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("turn_reads");
  pool = openPostgresPool(database.url, silentLogger, { pipeline: true });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** Doubles each number in one query; counts the queries it sends. */
function doubling(reads: TurnReads) {
  const queries: number[][] = [];
  const read = reads.read(async (client, keys: number[]) => {
    queries.push(keys);
    const { rows } = await client.query<{ doubled: number }>(
      `SELECT k * 2 AS doubled FROM unnest($1::int[]) WITH ORDINALITY AS u(k, n) ORDER BY n`,
      [keys],
    );
    return rows.map((row) => row.doubled);
  });
  return { read, queries };
}

describe("TurnReads", () => {
  it("answers the reads of one turn, of every kind, with one query per kind on one connection", async () => {
    const reads = new TurnReads(pool);
    const doubled = doubling(reads);
    const named = reads.read(async (client, keys: string[]) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT upper(k) AS name FROM unnest($1::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n`,
        [keys],
      );
      return rows.map((row) => row.name);
    });
    let connections = 0;
    const acquired = () => connections++;
    pool.on("acquire", acquired);
    try {
      const answers = await Promise.all([
        doubled.read.get(1),
        named.get("a"),
        doubled.read.get(2),
        named.get("b"),
      ]);
      expect(answers).toEqual([2, "A", 4, "B"]);
      expect(doubled.queries).toEqual([[1, 2]]);
      expect(connections).toBe(1);
      // A read queued after the round trip started waits for the next one.
      expect(await doubled.read.get(5)).toBe(10);
      expect(doubled.queries).toEqual([[1, 2], [5]]);
    } finally {
      pool.off("acquire", acquired);
    }
  });

  it("gathers the reads asked while a round trip is in flight into the next one, sent when it is answered", async () => {
    const reads = new TurnReads(pool);
    const doubled = doubling(reads);
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const slow = reads.read(async (_client, keys: number[]) => {
      started();
      await answered;
      return keys;
    });
    const first = slow.get(1);
    await inFlight;
    const later = Promise.all([doubled.read.get(2), doubled.read.get(3)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(doubled.queries).toEqual([]); // held back while the first round trip runs
    answer();
    expect(await first).toBe(1);
    expect(await later).toEqual([4, 6]);
    expect(doubled.queries).toEqual([[2, 3]]);
  });

  it("rejects the callers of a read whose query fails with its error, answers the others, and drops the connection", async () => {
    const reads = new TurnReads(pool);
    const doubled = doubling(reads);
    const broken = reads.read(async (client, keys: number[]) => {
      await client.query(`SELECT no_such_column FROM unnest($1::int[]) AS u(k)`, [keys]);
      return keys;
    });
    const removed = new Promise((resolve) => pool.once("remove", resolve));
    const [good, bad] = await Promise.allSettled([doubled.read.get(3), broken.get(1)]);
    expect(good).toEqual({ status: "fulfilled", value: 6 });
    expect(bad.status).toBe("rejected");
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/no_such_column/);
    // As after pool.query: a connection whose query failed is not handed out again.
    await removed;
    expect(await doubled.read.get(4)).toBe(8); // the pool connects again
  });

  it("rejects every caller with the connection error when no connection can be had", async () => {
    const unreachable = openPostgresPool("postgres://postgres@127.0.0.1:1/nowhere", silentLogger, {
      pipeline: true,
    });
    try {
      const reads = new TurnReads(unreachable);
      const doubled = doubling(reads);
      const outcomes = await Promise.allSettled([doubled.read.get(1), doubled.read.get(2)]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
      expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/ECONNREFUSED/);
      expect(doubled.queries).toEqual([]);
    } finally {
      await unreachable.end();
    }
  });
});
