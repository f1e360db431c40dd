import { silentLogger } from "@asyncgen/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConcurrencyError, SAGA_SCHEMA, type UnitOfWork } from "../src/index.js";
import { PostgresSagaStore } from "../src/postgres/index.js";
import { createTestDatabase } from "../testing/index.js";
import { outgoingCommand as command } from "./outgoing-command.js";

/**
 * The PostgreSQL store group-commits the transitions queued together: these are sent in one turn, so they share
 * batches, and each must still commit or fail on its own, in order, exactly as it would alone.
 */
type Data = { n: number };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let store: PostgresSagaStore<Data>;

beforeAll(async () => {
  database = await createTestDatabase("batches");
  store = await PostgresSagaStore.open<Data>({
    url: database.url,
    // A projection table with a unique column, so one transition's own statement can fail.
    migrations: [SAGA_SCHEMA, () => `CREATE TABLE projected (saga_id BIGINT PRIMARY KEY, tag TEXT UNIQUE)`],
    schemaName: "batches_test",
    type: "batch_saga",
    logger: silentLogger,
    project: (sagaId, data, created) =>
      created
        ? [{ sql: `INSERT INTO projected (saga_id, tag) VALUES (?, ?)`, params: [sagaId, `tag-${data.n}`] }]
        : [],
  });
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

function work(
  id: number,
  status: string,
  n: number,
  expectedVersion: number | undefined,
  consumedMessageId?: string,
): UnitOfWork<Data> {
  return {
    next: {
      id,
      type: "batch_saga",
      status,
      data: { n },
      awaiting: null,
      failedStep: null,
      failureDetails: null,
    },
    expectedVersion,
    history: [{ status, at: new Date().toISOString() }],
    outbox: [command(id)],
    consumedMessageId,
  };
}

const written = async (id: number) => ({
  saga: (
    await store.all<{ status: string; version: number }>(`SELECT status, version FROM sagas WHERE id = ?`, [
      id,
    ])
  )[0],
  history: (
    await store.all<{ status: string }>(`SELECT status FROM saga_history WHERE saga_id = ? ORDER BY id`, [id])
  ).map((row) => row.status),
  outbox: (await store.all(`SELECT id FROM outbox WHERE correlation_id = ?`, [String(id)])).length,
});

describe("PostgreSQL group commit", () => {
  it("commits the transitions sent together, and fails only the one planned on a stale version", async () => {
    const ids = await Promise.all([1, 2, 3, 4].map((n) => store.create((id) => work(id, "started", n, 0))));
    const results = await Promise.allSettled(
      ids.map((id, index) => store.commit(work(id, "next", index, index === 2 ? 5 : 1, `reply-${id}`))),
    );
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    for (const [index, id] of ids.entries()) {
      expect(await written(id)).toEqual(
        index === 2
          ? { saga: { status: "started", version: 1 }, history: ["started"], outbox: 1 }
          : { saga: { status: "next", version: 2 }, history: ["started", "next"], outbox: 2 },
      );
    }
    // The stale one's consumed message was rolled back with it: it can still be consumed.
    expect(await store.hasConsumed(`reply-${ids[2]}`)).toBe(false);
    expect(await store.hasConsumed(`reply-${ids[0]}`)).toBe(true);
  });

  it("fails a transition whose own statement fails with that error, and commits the others", async () => {
    const results = await Promise.allSettled(
      [10, 11, 10, 12].map((n) => store.create((id) => work(id, "started", n, 0))),
    );
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: "23505" }); // unique violation
    const tags = await store.all<{ tag: string }>(
      `SELECT tag FROM projected WHERE tag LIKE 'tag-1_' ORDER BY tag`,
    );
    expect(tags.map((row) => row.tag)).toEqual(["tag-10", "tag-11", "tag-12"]);
    expect(
      await store.all(`SELECT 1 FROM sagas WHERE status = 'started' AND data = '{"n":10}'`),
    ).toHaveLength(1);
  });

  it("applies two transitions of one saga sent together in order: the second, planned on the same version, fails", async () => {
    const id = await store.create((sagaId) => work(sagaId, "started", 20, 0));
    const [first, second] = await Promise.allSettled([
      store.commit(work(id, "first", 20, 1, `first-${id}`)),
      store.commit(work(id, "second", 20, 1, `second-${id}`)),
    ]);
    expect(first.status).toBe("fulfilled");
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(await written(id)).toEqual({
      saga: { status: "first", version: 2 },
      history: ["started", "first"],
      outbox: 2,
    });
  });

  it("fails the second of two transitions consuming one message, and writes none of it", async () => {
    const [a, b] = await Promise.all([21, 22].map((n) => store.create((id) => work(id, "started", n, 0))));
    const results = await Promise.allSettled([
      store.commit(work(a!, "next", 21, 1, "the-same-reply")),
      store.commit(work(b!, "next", 22, 1, "the-same-reply")),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ConcurrencyError);
    const states = [await written(a!), await written(b!)].map((state) => state.saga!.status).sort();
    expect(states).toEqual(["next", "started"]);
  });

  it("announces each committed transition once, after its commit", async () => {
    const heard: { saga: number; status: string }[] = [];
    const unsubscribe = store.subscribe((event) => heard.push(event));
    try {
      const ids = await Promise.all(
        [30, 31, 32].map((n) => store.create((id) => work(id, "announced", n, 0))),
      );
      await expect.poll(() => heard.filter((event) => ids.includes(event.saga)).length).toBe(3);
      expect(heard.filter((event) => ids.includes(event.saga)).map((event) => event.status)).toEqual([
        "announced",
        "announced",
        "announced",
      ]);
    } finally {
      unsubscribe();
    }
  });
});
