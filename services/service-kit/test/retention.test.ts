import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger, type OutgoingMessage } from "@asyncgen/runtime";
import { RetentionPruner, type RetentionPolicy } from "@asyncgen/saga";
import { createTestDatabase } from "@asyncgen/saga/testing";
import {
  createLogger,
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  PostgresParticipantDatabase,
  SqliteParticipantDatabase,
  type Migration,
  type ParticipantDatabase,
} from "../src/index.js";

/**
 * A participant's retention on its real databases, as the services open them: a SQLite file, and PostgreSQL (a
 * schema of its own), with the outbox, parking and retention migrations.
 */
const MIGRATIONS: Migration[] = [
  (d) => `CREATE TABLE effects (id ${d.serialKey}, message TEXT NOT NULL);`,
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
];
const MINUTE = 60_000;
const POLICY: RetentionPolicy = {
  dedupMs: 30 * MINUTE,
  sentOutboxMs: 5 * MINUTE,
  historyMs: 0,
  graceMs: MINUTE,
};

const dir = mkdtempSync(path.join(tmpdir(), "participant-retention-"));
let postgres: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
const opened: ParticipantDatabase[] = [];
afterAll(async () => {
  await Promise.all(opened.map((database) => database.close().catch(() => {})));
  await postgres?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: { name: string; open(name: string): Promise<ParticipantDatabase> }[] = [
  {
    name: "SQLite",
    open: async (name) => new SqliteParticipantDatabase(path.join(dir, `${name}.sqlite`), MIGRATIONS),
  },
  {
    name: "PostgreSQL",
    async open(name) {
      postgres ??= await createTestDatabase("participant_retention");
      return PostgresParticipantDatabase.open({
        url: postgres.url,
        schema: `${name}_service`,
        migrations: MIGRATIONS,
        logger: createLogger("retention-test", "silent"),
      });
    },
  },
];

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

describe.each(backends)("a participant's retention on $name", (backend) => {
  async function setUp(name: string) {
    const database = await backend.open(name);
    opened.push(database);
    /** A command handled as a participant handles it: its effect and its reply, once per message id. */
    const handle = (messageId: string) =>
      database.transact(messageId, async () => {
        await database.sql.run(`INSERT INTO effects (message) VALUES (?)`, [messageId]);
        return [reply(`${messageId}.reply`)];
      });
    const count = async (table: string) =>
      Number(
        (await database.retention.all<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n,
      );
    // The pruner's clock starts at the real time the rows are written, and the test moves it on.
    const clock = { now: Date.now() };
    const pruner = () =>
      new RetentionPruner(database.retention, {
        policy: POLICY,
        tables: ["consumed_messages", "outbox"],
        logger: silentLogger,
        now: () => clock.now,
      });
    return { database, handle, count, clock, pruner };
  }

  it("deduplicates a redelivery inside the window after pruning; past the window the record is gone", async () => {
    const { handle, count, clock, pruner } = await setUp("dedup");
    const prune = pruner();
    const start = clock.now;
    expect(await handle("command-1")).toBe("committed");

    clock.now = start + POLICY.dedupMs - MINUTE; // grace over, still inside the window
    await prune.pruneOnce();
    expect(await handle("command-1")).toBe("duplicate");
    expect(await count("effects")).toBe(1);

    clock.now = start + POLICY.dedupMs + MINUTE;
    expect((await prune.pruneOnce()).consumed_messages).toBe(1);
    expect(await count("consumed_messages")).toBe(0);
  });

  it("keeps every record while the grace after a restart holds, however old", async () => {
    const { handle, count, clock, pruner } = await setUp("grace");
    expect(await handle("command-1")).toBe("committed");
    // The service was down for three days, far longer than the window, and starts again (a new pruner).
    clock.now += 3 * 24 * 60 * MINUTE;
    const restarted = pruner();
    expect((await restarted.pruneOnce()).consumed_messages).toBe(0);
    clock.now += POLICY.graceMs - 1;
    expect((await restarted.pruneOnce()).consumed_messages).toBe(0);
    expect(await handle("command-1")).toBe("duplicate"); // the redelivery that waited in the queue
    expect(await count("effects")).toBe(1);
    clock.now += 1;
    expect((await restarted.pruneOnce()).consumed_messages).toBe(1);
  });

  it("prunes sent replies past their window; an unsent reply stays until it is published", async () => {
    const { database, handle, count, clock, pruner } = await setUp("outbox");
    await handle("command-1");
    await handle("command-2");
    const [first] = await database.pendingOutbox(1);
    await database.markSent([first!.id]);
    clock.now += POLICY.sentOutboxMs + MINUTE;
    expect((await pruner().pruneOnce()).outbox).toBe(1);
    expect(await count("outbox")).toBe(1);
    const [left] = await database.retention.all<{ message_id: string }>(`SELECT message_id FROM outbox`);
    expect(left?.message_id).toBe("command-2.reply");
  });
});
