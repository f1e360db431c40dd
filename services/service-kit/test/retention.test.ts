import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger, type OutgoingMessage } from "@asyncgen/runtime";
import { RetentionPruner, type RetentionPolicy } from "@asyncgen/saga";
import { sqliteReader } from "@asyncgen/saga/sqlite";
import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  openSqlite,
  SqliteOutbox,
} from "../src/index.js";

/** A participant's database as the services open it: a real file, with the outbox, parking and retention migrations. */
const dir = mkdtempSync(path.join(tmpdir(), "participant-retention-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MINUTE = 60_000;
const POLICY: RetentionPolicy = {
  dedupMs: 30 * MINUTE,
  sentOutboxMs: 5 * MINUTE,
  historyMs: 0,
  graceMs: MINUTE,
};

const reply = (messageId: string): OutgoingMessage => ({
  exchange: "",
  routingKey: "replies",
  body: Buffer.from("{}"),
  properties: {
    messageId,
    type: "t.response.success",
    timestamp: 1,
    contentType: "application/json",
    headers: {},
  },
});

function setUp(name: string) {
  const db = openSqlite(path.join(dir, `${name}.sqlite`), [
    `CREATE TABLE effects (message TEXT NOT NULL);`,
    OUTBOX_MIGRATION,
    OUTBOX_PARKING_MIGRATION,
    OUTBOX_RETENTION_MIGRATION,
  ]);
  const outbox = new SqliteOutbox(db);
  const effect = db.prepare<[string]>(`INSERT INTO effects (message) VALUES (?)`);
  /** A command handled as a participant handles it: its effect and its reply, once per message id. */
  const handle = (messageId: string) =>
    outbox.transact(messageId, async () => {
      effect.run(messageId);
      return [reply(`${messageId}.reply`)];
    });
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  // The pruner's clock starts at the real time the rows were written, and the test moves it on.
  const clock = { now: Date.now() };
  const pruner = new RetentionPruner(sqliteReader(db), {
    policy: POLICY,
    tables: ["consumed_messages", "outbox"],
    logger: silentLogger,
    now: () => clock.now,
  });
  return { db, outbox, handle, count, clock, pruner };
}

describe("a participant's retention (SQLite file)", () => {
  it("deduplicates a redelivery inside the window after pruning; past the window the record is gone", async () => {
    const { handle, count, clock, pruner, db } = setUp("dedup");
    const start = clock.now;
    expect(await handle("command-1")).toBe("committed");

    clock.now = start + POLICY.dedupMs - MINUTE; // grace over, still inside the window
    await pruner.pruneOnce();
    expect(await handle("command-1")).toBe("duplicate");
    expect(count("effects")).toBe(1);

    clock.now = start + POLICY.dedupMs + MINUTE;
    expect((await pruner.pruneOnce()).consumed_messages).toBe(1);
    expect(count("consumed_messages")).toBe(0);
    db.close();
  });

  it("keeps every record while the grace after a restart holds, however old", async () => {
    const { handle, count, clock, db } = setUp("grace");
    expect(await handle("command-1")).toBe("committed");
    // The service was down for three days, far longer than the window, and starts again (a new pruner).
    clock.now += 3 * 24 * 60 * MINUTE;
    const restarted = new RetentionPruner(sqliteReader(db), {
      policy: POLICY,
      tables: ["consumed_messages", "outbox"],
      logger: silentLogger,
      now: () => clock.now,
    });
    expect((await restarted.pruneOnce()).consumed_messages).toBe(0);
    clock.now += POLICY.graceMs - 1;
    expect((await restarted.pruneOnce()).consumed_messages).toBe(0);
    expect(await handle("command-1")).toBe("duplicate"); // the redelivery that waited in the queue
    expect(count("effects")).toBe(1);
    clock.now += 1;
    expect((await restarted.pruneOnce()).consumed_messages).toBe(1);
    db.close();
  });

  it("prunes sent replies past their window; an unsent reply stays until it is published", async () => {
    const { outbox, handle, count, clock, pruner, db } = setUp("outbox");
    await handle("command-1");
    await handle("command-2");
    const [first] = await outbox.pendingOutbox(1);
    await outbox.markSent([first!.id]);
    clock.now += POLICY.sentOutboxMs + MINUTE;
    expect((await pruner.pruneOnce()).outbox).toBe(1);
    expect((await outbox.pendingOutbox(10)).map((row) => row.messageId)).toEqual(["command-2.reply"]);
    expect(count("outbox")).toBe(1);
    db.close();
  });
});
