import { describe, expect, it } from "vitest";
import type { OutgoingMessage } from "@asyncgen/runtime";
import { SQLITE } from "@asyncgen/saga";
import { openSqlite, transaction } from "@asyncgen/saga/sqlite";
import { OUTBOX_MIGRATION, OUTBOX_PARKING_MIGRATION, SqliteOutbox } from "../src/index.js";

function setUp() {
  const db = openSqlite(":memory:", [
    `CREATE TABLE effects (name TEXT NOT NULL);`,
    OUTBOX_MIGRATION(SQLITE),
    OUTBOX_PARKING_MIGRATION(SQLITE),
  ]);
  const outbox = new SqliteOutbox(db);
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { db, outbox, count };
}

const message = (messageId: string, extra: Partial<OutgoingMessage["properties"]> = {}): OutgoingMessage => ({
  exchange: "",
  routingKey: "replies",
  body: Buffer.from(JSON.stringify({ ok: messageId })),
  properties: {
    messageId,
    type: "calc.add.response.success",
    correlationId: "saga-1",
    timestamp: 1_700_000_000,
    contentType: "application/json",
    headers: { contract_version: "1.2.0", tenant: "t1" },
    ...extra,
  },
});

/** A promise the test resolves when it wants to. */
function gate(): { wait: Promise<void>; open(): void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Lets every already-runnable callback run (no timer involved). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("SqliteOutbox", () => {
  it("stores a message exactly as built and gives it back for the relay; marked sent, it is not pending", async () => {
    const { outbox } = setUp();
    const built = message("m-1.reply", { replyTo: undefined });
    const other = message("m-2.reply", { correlationId: undefined, replyTo: "back" });
    expect(await outbox.transact("m-1", async () => [built])).toBe("committed");
    expect(await outbox.transact("m-2", async () => [other])).toBe("committed");
    const pending = await outbox.pendingOutbox(10);
    expect(pending.map((row) => row.message)).toEqual([built, other]);
    expect(pending.map((row) => row.messageId)).toEqual(["m-1.reply", "m-2.reply"]);
    await outbox.markSent([pending[0]!.id]);
    expect((await outbox.pendingOutbox(10)).map((row) => row.messageId)).toEqual(["m-2.reply"]);
  });

  it("keeps a parked row, unsent, with its reason, and no longer gives it to the relay", async () => {
    const { db, outbox } = setUp();
    await outbox.transact("m-1", async () => [message("m-1.reply")]);
    const [row] = await outbox.pendingOutbox(10);
    await outbox.park(row!.id, "AMQP_UNROUTABLE: gone (refused 12 times)");
    expect(await outbox.pendingOutbox(10)).toEqual([]);
    expect(db.prepare(`SELECT sent_at, park_reason FROM outbox`).all()).toEqual([
      { sent_at: null, park_reason: "AMQP_UNROUTABLE: gone (refused 12 times)" },
    ]);
  });

  it("records the consumed message: the same id again is a duplicate and its work does not run", async () => {
    const { outbox, count } = setUp();
    let runs = 0;
    const work = async () => (runs++, [message("m-1.reply")]);
    expect(await outbox.transact("m-1", work)).toBe("committed");
    expect(await outbox.transact("m-1", work)).toBe("duplicate");
    expect(runs).toBe(1);
    expect([count("outbox"), count("consumed_messages")]).toEqual([1, 1]);
  });

  it("rolls back the work's writes, its messages and the dedup record when the work throws", async () => {
    const { db, outbox, count } = setUp();
    const failing = outbox.transact("m-1", async () => {
      db.prepare(`INSERT INTO effects (name) VALUES ('half')`).run();
      await settle();
      throw new Error("handler failed");
    });
    await expect(failing).rejects.toThrow("handler failed");
    expect([count("effects"), count("outbox"), count("consumed_messages")]).toEqual([0, 0, 0]);
    expect(db.inTransaction).toBe(false);
    // The redelivery runs again and commits.
    expect(
      await outbox.transact("m-1", async () => {
        db.prepare(`INSERT INTO effects (name) VALUES ('whole')`).run();
        return [message("m-1.reply")];
      }),
    ).toBe("committed");
    expect([count("effects"), count("outbox"), count("consumed_messages")]).toEqual([1, 1, 1]);
  });

  it("holds the connection across the work's awaits: the relay's read waits for the commit; work queued meanwhile commits with it", async () => {
    const { db, outbox } = setUp();
    const held = gate();
    const first = outbox.transact("m-1", async () => {
      db.prepare(`INSERT INTO effects (name) VALUES ('first')`).run();
      await held.wait;
      return [message("m-1.reply")];
    });
    await settle(); // the first transaction is open, its rows written but not committed
    let read: string[] | undefined;
    const relayRead = outbox.pendingOutbox(10).then((rows) => (read = rows.map((row) => row.messageId)));
    const second = outbox.transact("m-2", async () => [message("m-2.reply")]);
    await settle();
    expect(read).toBeUndefined(); // waiting, not reading uncommitted rows
    expect(db.inTransaction).toBe(true);
    held.open();
    expect(await first).toBe("committed");
    expect(await second).toBe("committed");
    await relayRead;
    expect(read).toEqual(["m-1.reply", "m-2.reply"]); // both committed in one group, before the read
  });

  it("tells the relay after each commit that stored messages, not after duplicates, empty or failed work", async () => {
    const { outbox } = setUp();
    let kicks = 0;
    outbox.onCommit = () => void kicks++;
    await outbox.transact("m-1", async () => [message("m-1.reply")]);
    await outbox.transact("m-1", async () => [message("m-1.reply")]);
    await outbox.transact("event", async () => []);
    await outbox.transact("m-2", () => Promise.reject(new Error("no"))).catch(() => {});
    expect(kicks).toBe(1);
  });
});

describe("transaction()", () => {
  it("commits what the awaited work wrote and returns its result; work that throws leaves nothing", async () => {
    const { db, count } = setUp();
    expect(
      await transaction(db, async () => {
        db.prepare(`INSERT INTO effects (name) VALUES ('a')`).run();
        await settle();
        return "done";
      }),
    ).toBe("done");
    await expect(
      transaction(db, async () => {
        db.prepare(`INSERT INTO effects (name) VALUES ('b')`).run();
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(db.prepare(`SELECT name FROM effects`).all()).toEqual([{ name: "a" }]);
    expect(count("effects")).toBe(1);
  });
});

describe("transaction(): group commit", () => {
  /** Counts the statements run through db.exec (BEGIN, SAVEPOINT, COMMIT ...). */
  function countExec(db: ReturnType<typeof setUp>["db"]): Map<string, number> {
    const seen = new Map<string, number>();
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      const verb = sql.split(" ")[0]!;
      seen.set(verb, (seen.get(verb) ?? 0) + 1);
      return exec(sql);
    };
    return seen;
  }

  it("units queued together share one COMMIT, and each resolves only after it", async () => {
    const { db, count } = setUp();
    const execs = countExec(db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transaction(db, async () => {
          db.prepare(`INSERT INTO effects (name) VALUES (?)`).run(`unit-${i}`);
          return db.inTransaction;
        }),
      ),
    );
    expect(results.every((inside) => inside)).toBe(true);
    expect(db.inTransaction).toBe(false);
    expect(count("effects")).toBe(20);
    expect([execs.get("BEGIN"), execs.get("COMMIT"), execs.get("SAVEPOINT")]).toEqual([1, 1, 20]);
  });

  it("a unit that throws rolls back alone; the others in its group commit", async () => {
    const { db } = setUp();
    const outcomes = await Promise.allSettled(
      ["a", "bad", "c"].map((name) =>
        transaction(db, async () => {
          db.prepare(`INSERT INTO effects (name) VALUES (?)`).run(name);
          await settle();
          if (name === "bad") throw new Error("bad unit");
          return name;
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(db.prepare(`SELECT name FROM effects ORDER BY name`).pluck().all()).toEqual(["a", "c"]);
  });

  it("when the COMMIT fails, every unit of the group is rejected and nothing is kept", async () => {
    const { db, count } = setUp();
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      if (sql === "COMMIT") throw new Error("disk I/O error");
      return exec(sql);
    };
    const outcomes = await Promise.allSettled(
      ["a", "b"].map((name) =>
        transaction(db, async () => void db.prepare(`INSERT INTO effects (name) VALUES (?)`).run(name)),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    db.exec = exec;
    expect([count("effects"), db.inTransaction]).toEqual([0, false]);
    await transaction(db, async () => void db.prepare(`INSERT INTO effects (name) VALUES ('after')`).run());
    expect(count("effects")).toBe(1);
  });

  it("the same message twice in one group: the second finds the first's record and is a duplicate", async () => {
    const { outbox, count } = setUp();
    const work = async () => [message("m-1.reply")];
    expect(await Promise.all([outbox.transact("m-1", work), outbox.transact("m-1", work)])).toEqual([
      "committed",
      "duplicate",
    ]);
    expect(count("outbox")).toBe(1);
  });
});
