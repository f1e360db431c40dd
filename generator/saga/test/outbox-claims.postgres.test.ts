import { silentLogger, type OutgoingMessage } from "@asyncgen/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxParkingColumns, outboxTable, POSTGRES } from "../src/outbox-table.js";
import { PostgresOutboxClaims } from "../src/postgres/outbox-claims.js";
import { heldRows, insertOutbox, type OutboxHolder } from "../src/postgres/postgres-batch-sql.js";
import { openPostgresPool } from "../src/postgres/pool.js";
import { createTestDatabase } from "../testing/index.js";
import { outgoingCommand } from "./outgoing-command.js";

/**
 * The rows an instance's transaction inserts into a shared outbox are held by it from the start, for its relay to
 * publish from memory: no instance's claim takes them (its own neither) while its lease lives, and another takes
 * them once the lease ran out (the instance died). Rows inserted with no holder are anyone's at once.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase("outbox_claims");
  pool = openPostgresPool(database.url, silentLogger);
  await pool.query(`${outboxTable(POSTGRES)} ${outboxParkingColumns()}`);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const message = (id: string, saga = 1) => outgoingCommand(saga, id);

async function insert(messages: OutgoingMessage[], holder?: OutboxHolder) {
  const statement = insertOutbox(messages, new Date().toISOString(), holder)!;
  const { rows } = await pool.query<{ id: number; message_id: string }>(
    statement.sql,
    statement.params as unknown[],
  );
  return heldRows(rows, messages);
}

describe("held outbox rows", () => {
  it("are nobody's to claim while their holder's lease lives, and another instance's once it ran out", async () => {
    const holder = new PostgresOutboxClaims(pool, silentLogger, 300);
    const other = new PostgresOutboxClaims(pool, silentLogger, 300);
    const held = await insert([message("held-1", 1), message("held-2", 2)], holder.holder);
    expect(held.map((row) => row.messageId)).toEqual(["held-1", "held-2"]);
    expect(held[1]!.message.body.toString()).toBe(`{"saga":2}`);
    expect(held[0]!.id).toBeLessThan(held[1]!.id);

    expect(await other.pendingOutbox(10)).toEqual([]);
    expect(await holder.pendingOutbox(10)).toEqual([]); // in its relay's hands already
    await new Promise((resolve) => setTimeout(resolve, 400)); // no heartbeat: the holder died
    const taken = await other.pendingOutbox(10);
    expect(taken.map((row) => row.messageId)).toEqual(["held-1", "held-2"]);
    await other.markSent(taken.map((row) => row.id));
  });

  it("inserted with no holder (no relay runs there yet), are claimed at once", async () => {
    const claims = new PostgresOutboxClaims(pool, silentLogger, 300);
    await insert([message("free-1")]);
    const claimed = await claims.pendingOutbox(10);
    expect(claimed.map((row) => row.messageId)).toEqual(["free-1"]);
    await claims.markSent(claimed.map((row) => row.id));
  });
});
