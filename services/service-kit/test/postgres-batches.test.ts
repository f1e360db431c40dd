import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestDatabase } from "@asyncgen/saga/testing";
import type { PostgresParticipantDatabase } from "../src/index.js";
import { openNotes, reply, writeAndAnswer } from "./notes-participant.js";

/**
 * A participant's group commit on PostgreSQL (PostgresMessageBatches behind PostgresParticipantDatabase.transact):
 * the messages handed to it together share one transaction, and each one still has its effect once or not at all,
 * whatever fails: its own handler, a duplicate on another instance, a deadlock, the connection.
 */

/** Two rows the deadlock test's handlers lock in opposite orders. */
const COUNTERS = () => `CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
  INSERT INTO counters (id, n) VALUES (1, 0), (2, 0);`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let first: PostgresParticipantDatabase;
let second: PostgresParticipantDatabase;
let admin: pg.Client;
const open = () => openNotes(database.url, "notes_service", [COUNTERS]);

beforeAll(async () => {
  database = await createTestDatabase("participant_batches");
  [first, second] = await Promise.all([open(), open()]);
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await first?.close();
  await second?.close();
  await database?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await admin.query<{ n: string }>(sql, params)).rows[0]!.n);
const effects = (name: string) =>
  count(`SELECT count(*) AS n FROM notes_service.effects WHERE name = $1`, [name]);
const consumed = (id: string) =>
  count(`SELECT count(*) AS n FROM notes_service.consumed_messages WHERE message_id = $1`, [id]);
const replies = (prefix: string) =>
  count(`SELECT count(*) AS n FROM notes_service.outbox WHERE message_id LIKE $1`, [`${prefix}%`]);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Like writeAndAnswer, also telling which transaction it ran in. */
const inTransaction = (db: PostgresParticipantDatabase, name: string, seen: string[]) => async () => {
  const [row] = await db.sql.all<{ tx: string }>(`SELECT txid_current()::text AS tx`);
  seen.push(row!.tx);
  return writeAndAnswer(db, name, `${name}-reply`)();
};

/** Every outcome of `transacts`, in the order they settled: "committed", "duplicate" or the error's message. */
async function settled(transacts: Promise<string>[]): Promise<{ outcomes: string[]; order: string[] }> {
  const order: string[] = [];
  const outcomes = await Promise.all(
    transacts.map((transact) =>
      transact.then(
        (outcome) => (order.push(outcome), outcome),
        (error: Error) => (order.push(error.message), error.message),
      ),
    ),
  );
  return { outcomes, order };
}

describe("PostgresParticipantDatabase group commit", () => {
  it("commits the messages handed to it together in one transaction, kicking the relay once", async () => {
    let kicks = 0;
    first.onCommit = () => kicks++;
    const seen: string[] = [];
    const outcomes = await Promise.all(
      ["a1", "a2", "a3", "a4"].map((id) => first.transact(id, inTransaction(first, id, seen))),
    );
    first.onCommit = () => {};
    expect(outcomes).toEqual(["committed", "committed", "committed", "committed"]);
    expect(new Set(seen).size).toBe(1); // one transaction for the four
    expect(kicks).toBe(1);
    for (const id of ["a1", "a2", "a3", "a4"]) {
      expect(await effects(id)).toBe(1);
      expect(await consumed(id)).toBe(1);
    }
    expect(await replies("a")).toBe(4);
  });

  it("answers a redelivery handed in beside the first, or in a later batch, as a duplicate with no second effect", async () => {
    const within = await Promise.all([
      first.transact("b1", writeAndAnswer(first, "b1", "b1-reply")),
      first.transact("b1", writeAndAnswer(first, "b1", "b1-again")), // waits for the first's batch, then is found
      first.transact("b2", writeAndAnswer(first, "b2", "b2-reply")),
    ]);
    expect(within).toEqual(["committed", "duplicate", "committed"]);
    const across = await Promise.all([
      first.transact("b3", writeAndAnswer(first, "b3", "b3-reply")),
      first.transact("b1", writeAndAnswer(first, "b1", "b1-later")),
    ]);
    expect(across).toEqual(["committed", "duplicate"]);
    expect(await effects("b1")).toBe(1);
    expect(await replies("b1")).toBe(1);
    expect(await effects("b3")).toBe(1);
  });

  it("rejects a member whose handler throws only after the rest of its batch committed, keeping nothing of it", async () => {
    const throwing = async () => {
      await first.sql.run(`INSERT INTO effects (name) VALUES ('c2')`);
      throw new Error("disk full");
    };
    const { outcomes, order } = await settled([
      first.transact("c1", writeAndAnswer(first, "c1", "c1-reply")),
      first.transact("c2", throwing),
      first.transact("c3", writeAndAnswer(first, "c3", "c3-reply")),
    ]);
    expect(outcomes).toEqual(["committed", "disk full", "committed"]);
    expect(order.at(-1)).toBe("disk full");
    expect([await effects("c1"), await effects("c2"), await effects("c3")]).toEqual([1, 0, 1]);
    expect(await consumed("c2")).toBe(0);
    expect(await replies("c2")).toBe(0);
    // Its redelivery is handled as new.
    expect(await first.transact("c2", writeAndAnswer(first, "c2", "c2-reply"))).toBe("committed");
  });

  it("tells the member whose statement failed from the others its failure aborted", async () => {
    const failingStatement = async () => {
      await first.sql.run(`INSERT INTO effects (name) VALUES (NULL)`); // NOT NULL: aborts the shared transaction
      return [reply("d2-reply")];
    };
    // The others' second statements come after the failed one, so PostgreSQL refuses them too ("transaction is
    // aborted"): they are redone without the culprit, which is rejected with its own error.
    const slow = (name: string) => async () => {
      await pause(20);
      return writeAndAnswer(first, name, `${name}-reply`)();
    };
    const { outcomes } = await settled([
      first.transact("d1", slow("d1")),
      first.transact("d2", failingStatement),
      first.transact("d3", slow("d3")),
    ]);
    expect(outcomes[0]).toBe("committed");
    expect(outcomes[1]).toMatch(/null value in column "name"/);
    expect(outcomes[2]).toBe("committed");
    expect([await effects("d1"), await effects("d3"), await consumed("d2")]).toEqual([1, 1, 0]);
  });

  it("rejects a member that caught its own failed statement and went on, since its transaction rolled back", async () => {
    const swallowing = async () => {
      await first.sql.run(`INSERT INTO effects (name) VALUES (NULL)`).catch(() => 0);
      return [reply("e2-reply")];
    };
    const { outcomes } = await settled([
      first.transact("e1", writeAndAnswer(first, "e1", "e1-reply")),
      first.transact("e2", swallowing),
    ]);
    expect(outcomes[0]).toBe("committed");
    expect(outcomes[1]).toMatch(/aborted by a failed statement/);
    expect([await effects("e1"), await consumed("e2"), await replies("e2")]).toEqual([1, 0, 0]);
  });

  it("has one effect when two instances get the same message at the same moment, in batches of their own", async () => {
    let ran = 0;
    const counted = (db: PostgresParticipantDatabase, replyId: string) => async () => {
      ran++;
      await db.sql.run(`INSERT INTO effects (name) VALUES ('f')`);
      await pause(200);
      return [reply(replyId)];
    };
    const [mine, theirs] = await Promise.all([
      Promise.all([
        first.transact("f", counted(first, "f-first")),
        first.transact("f1", writeAndAnswer(first, "f1", "f1-reply")),
      ]),
      (async () => {
        await pause(50); // the first instance's dedup row is in, not yet committed
        return Promise.all([
          second.transact("f", counted(second, "f-second")),
          second.transact("f2", writeAndAnswer(second, "f2", "f2-reply")),
        ]);
      })(),
    ]);
    expect(mine).toEqual(["committed", "committed"]);
    expect(theirs).toEqual(["duplicate", "committed"]); // waited for the first's commit, then found it consumed
    expect(ran).toBe(1);
    expect([await effects("f"), await replies("f-"), await effects("f2")]).toEqual([1, 1, 1]);
  });

  it("redoes each member of a deadlocked batch alone, so every message commits once", async () => {
    // Two instances' batches lock the two counters in opposite orders; PostgreSQL aborts one of them (40P01).
    let locked = 0;
    const bothLocked = new Promise<void>((resolve) => {
      const check = setInterval(() => locked >= 2 && (clearInterval(check), resolve()), 5);
    });
    const crossing = (db: PostgresParticipantDatabase, from: number, to: number, name: string) => {
      let attempts = 0;
      return async () => {
        await db.sql.run(`UPDATE counters SET n = n + 1 WHERE id = ?`, [from]);
        if (attempts++ === 0) {
          locked++;
          await bothLocked;
        }
        await db.sql.run(`UPDATE counters SET n = n + 1 WHERE id = ?`, [to]);
        return writeAndAnswer(db, name, `${name}-reply`)();
      };
    };
    const outcomes = await Promise.all([
      first.transact("g1", crossing(first, 1, 2, "g1")),
      first.transact("g2", writeAndAnswer(first, "g2", "g2-reply")),
      second.transact("g3", crossing(second, 2, 1, "g3")),
      second.transact("g4", writeAndAnswer(second, "g4", "g4-reply")),
    ]);
    expect(outcomes).toEqual(["committed", "committed", "committed", "committed"]);
    const { rows } = await admin.query<{ n: number }>(`SELECT n FROM notes_service.counters ORDER BY id`);
    expect(rows.map((row) => row.n)).toEqual([2, 2]); // each crossing member's updates once
    for (const id of ["g1", "g2", "g3", "g4"]) expect(await effects(id)).toBe(1);
  }, 15_000);

  it("fails every member of a batch whose connection is lost, keeps none of it, and goes on with a fresh one", async () => {
    const cut = async () => {
      const [backend] = await first.sql.all<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
      await first.sql.run(`INSERT INTO effects (name) VALUES ('h1')`);
      // Terminated while no query of the batch runs: the client's 'error' must not crash the process.
      await admin.query(`SELECT pg_terminate_backend($1)`, [backend!.pid]);
      await pause(100);
      return [reply("h1-reply")];
    };
    const { outcomes } = await settled([
      first.transact("h1", cut),
      first.transact("h2", writeAndAnswer(first, "h2", "h2-reply")),
    ]);
    expect(outcomes[0]).toMatch(/terminat/i);
    expect(outcomes[1]).toBe(outcomes[0]); // the same cause for each
    expect([await effects("h1"), await effects("h2"), await consumed("h1"), await consumed("h2")]).toEqual([
      0, 0, 0, 0,
    ]);
    // The redelivery commits: the broken connection was discarded, not handed to the next batch.
    expect(await first.transact("h1", writeAndAnswer(first, "h1", "h1-reply"))).toBe("committed");
    expect(await effects("h1")).toBe(1);
  });
});
