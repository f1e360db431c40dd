import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@asyncgen/saga/testing";
import type { PostgresParticipantDatabase } from "../src/index.js";
import { openNotes, writeAndAnswer } from "./notes-participant.js";

/**
 * A participant's inbox and outbox on PostgreSQL, as two instances of it (two PostgresParticipantDatabase on one
 * database) see them: each message atomic, a duplicate recognised also while the first is in flight on the other
 * instance, outbox rows claimed by one relay at a time, and each participant's tables in its own schema.
 */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let first: PostgresParticipantDatabase;
let second: PostgresParticipantDatabase;
const open = (schema?: string) => openNotes(database.url, schema);

beforeAll(async () => {
  database = await createTestDatabase("participant_outbox");
  [first, second] = await Promise.all([open(), open()]); // two instances starting at once migrate once
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await database?.drop();
});

const count = async (db: PostgresParticipantDatabase, sql: string) =>
  Number((await db.sql.all<{ n: number }>(sql))[0]!.n);

describe("PostgresParticipantDatabase", () => {
  it("commits the effect, the reply and the consumed id together; a redelivery is a duplicate", async () => {
    expect(await first.transact("m-1", writeAndAnswer(first, "a", "r-1"))).toBe("committed");
    expect(await second.transact("m-1", writeAndAnswer(second, "a again", "r-1b"))).toBe("duplicate");
    expect(await count(first, `SELECT count(*) AS n FROM effects WHERE name LIKE 'a%'`)).toBe(1);
    expect(await count(first, `SELECT count(*) AS n FROM outbox WHERE message_id LIKE 'r-1%'`)).toBe(1);
    expect(await count(first, `SELECT count(*) AS n FROM consumed_messages WHERE message_id = 'm-1'`)).toBe(
      1,
    );
  });

  it("keeps nothing of a message whose handler throws", async () => {
    const failing = async () => {
      await first.sql.run(`INSERT INTO effects (name) VALUES ('b')`);
      throw new Error("disk full");
    };
    await expect(first.transact("m-2", failing)).rejects.toThrow("disk full");
    expect(await count(first, `SELECT count(*) AS n FROM effects WHERE name = 'b'`)).toBe(0);
    expect(await count(first, `SELECT count(*) AS n FROM consumed_messages WHERE message_id = 'm-2'`)).toBe(
      0,
    );
    expect(await first.transact("m-2", writeAndAnswer(first, "b", "r-2"))).toBe("committed"); // the redelivery
  });

  it("handles a message once when both instances get it at the same moment", async () => {
    let ran = 0;
    const counted = (db: PostgresParticipantDatabase, id: string) => {
      const work = writeAndAnswer(db, "c", id, 200);
      return () => (ran++, work());
    };
    const outcomes = await Promise.all([
      first.transact("m-3", counted(first, "r-3a")),
      second.transact("m-3", counted(second, "r-3b")),
    ]);
    expect(outcomes.sort()).toEqual(["committed", "duplicate"]);
    expect(ran).toBe(1); // the second waited for the first's commit, then found the id consumed
    expect(await count(first, `SELECT count(*) AS n FROM effects WHERE name = 'c'`)).toBe(1);
  });

  it("gives each unsent row to one instance's relay, and hands a stopped instance's rows back", async () => {
    for (let i = 0; i < 6; i++) await first.transact(`m-4-${i}`, writeAndAnswer(first, "d", `r-4-${i}`));
    const mine = await first.pendingOutbox(3);
    const theirs = await second.pendingOutbox(100);
    expect(mine).toHaveLength(3);
    const ids = new Set(mine.map((row) => row.id));
    expect(theirs.some((row) => ids.has(row.id))).toBe(false);
    await second.markSent(theirs.map((row) => row.id));
    const third = await open();
    expect(await third.pendingOutbox(100)).toEqual([]); // the first instance still holds its three
    await first.close();
    expect((await third.pendingOutbox(100)).map((row) => row.id).sort()).toEqual([...ids].sort());
    first = third;
  });

  it("keeps each participant's tables in its own schema of the one database", async () => {
    const other = await open("other_service");
    try {
      expect(await count(other, `SELECT count(*) AS n FROM effects`)).toBe(0);
      expect(await other.transact("m-1", writeAndAnswer(other, "e", "r-5"))).toBe("committed"); // not a duplicate here
      expect(await count(second, `SELECT count(*) AS n FROM effects WHERE name = 'e'`)).toBe(0);
    } finally {
      await other.close();
    }
  });
});
