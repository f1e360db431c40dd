import { SagaToolkitError, silentLogger, type Logger } from "@asyncgen/runtime";
import { describe, expect, it } from "vitest";
import { OutboxRelay, type OutboxRowRef, type OutboxSource } from "../src/index.js";

/** An outbox in memory whose reads fail `failingReads` times first (a busy or closing database). */
function memoryOutbox(rows: OutboxRowRef[], failingReads = 0) {
  const sent: number[] = [];
  const parked = new Map<number, string>();
  let reads = 0;
  const source: OutboxSource<OutboxRowRef> = {
    pendingOutbox(limit) {
      reads++;
      if (failingReads-- > 0) throw new Error("database is locked");
      return rows.filter((row) => !sent.includes(row.id) && !parked.has(row.id)).slice(0, limit);
    },
    markSent(ids) {
      sent.push(...ids);
    },
    park(id, reason) {
      parked.set(id, reason);
    },
  };
  return { source, rows, sent, parked, reads: () => reads };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("OutboxRelay", () => {
  it("a pass whose read fails is logged and retried by the timer, never an unhandled rejection", async () => {
    const outbox = memoryOutbox([{ id: 1, messageId: "m-1.reply" }], 2);
    const published: string[] = [];
    const relay = new OutboxRelay(
      outbox.source,
      async (row) => void published.push(row.messageId),
      silentLogger,
      10,
    );
    relay.start();
    await until(() => outbox.sent.length === 1, "the row sent after two failed reads");
    await relay.stop();
    expect(published).toEqual(["m-1.reply"]);
    expect(outbox.reads()).toBeGreaterThanOrEqual(3);
  });

  it("ends a pass after a read shorter than its limit (nothing more waiting), and reads on after a full one", async () => {
    // 300 rows: the first read is full (256), so the pass reads again; the second is short, so the pass ends there.
    const outbox = memoryOutbox(
      Array.from({ length: 300 }, (_, index) => ({ id: index + 1, messageId: `m-${index}` })),
    );
    const relay = new OutboxRelay(outbox.source, async () => {}, silentLogger, 60_000);
    relay.start();
    await until(() => outbox.sent.length === 300, "every row sent");
    await relay.stop();
    expect(outbox.reads()).toBe(2);
  });

  it("publishes the rows a source hands over without reading the outbox; only its timer reads", async () => {
    const outbox = memoryOutbox([]);
    let handOver: (rows: readonly OutboxRowRef[]) => void = () => {};
    const published: string[] = [];
    const relay = new OutboxRelay(
      { ...outbox.source, handOver: (deliver) => (handOver = deliver) },
      async (row) => void published.push(row.messageId),
      silentLogger,
      60_000,
    );
    relay.start();
    await until(() => outbox.reads() === 1, "the first pass (the start's read)");
    handOver([
      { id: 1, messageId: "m-1" },
      { id: 2, messageId: "m-2" },
    ]);
    relay.afterCommit(); // the commit that handed them: nothing to read
    await until(() => outbox.sent.length === 2, "the rows handed over sent");
    relay.kick(); // the timer's read finds what nobody holds
    await until(() => outbox.reads() === 2, "the timer's read");
    await relay.stop();
    expect(published).toEqual(["m-1", "m-2"]);
    expect(outbox.sent).toEqual([1, 2]);
    expect(outbox.reads()).toBe(2); // the start's and the timer's: none for the commit
  });

  it("marks a published row again when its sent mark failed, without publishing it twice", async () => {
    const outbox = memoryOutbox([]);
    let handOver: (rows: readonly OutboxRowRef[]) => void = () => {};
    let failingMarks = 2;
    const published: string[] = [];
    const logged = recordingLogger();
    const relay = new OutboxRelay(
      {
        ...outbox.source,
        handOver: (deliver) => (handOver = deliver),
        markSent(ids) {
          if (failingMarks-- > 0) throw new Error("Connection terminated unexpectedly");
          outbox.sent.push(...ids);
        },
      },
      async (row) => void published.push(row.messageId),
      logged.logger,
      5,
    );
    relay.start();
    handOver([{ id: 3, messageId: "m-3" }]);
    await until(() => outbox.sent.length === 1, "the row marked at the third try");
    handOver([{ id: 4, messageId: "m-4" }]);
    await until(() => outbox.sent.length === 2, "the next row marked");
    await relay.stop();
    expect(published).toEqual(["m-3", "m-4"]);
    expect(outbox.sent).toEqual([3, 4]);
    expect(logged.lines.map((line) => line.msg)).toEqual([
      "outbox rows published but not marked sent; will mark them at the next pass",
      "outbox rows published but not marked sent; will mark them at the next pass",
    ]);
  });

  it("keeps a handed-over row the broker refuses for its retry, instead of handing it back", async () => {
    const outbox = memoryOutbox([]);
    let handOver: (rows: readonly OutboxRowRef[]) => void = () => {};
    const released: number[] = [];
    let attempts = 0;
    const relay = new OutboxRelay(
      {
        ...outbox.source,
        handOver: (deliver) => (handOver = deliver),
        release: (ids) => void released.push(...ids),
      },
      async () => {
        if (++attempts < 3) throw new SagaToolkitError("AMQP_UNROUTABLE", "no queue bound yet");
      },
      silentLogger,
      5,
    );
    relay.start();
    handOver([{ id: 7, messageId: "m-7" }]);
    await until(() => outbox.sent.length === 1, "the row sent at its third attempt");
    await relay.stop();
    expect(attempts).toBe(3);
    expect(released).toEqual([]);
  });

  it("does nothing once stopped, even when kicked (a commit racing the shutdown)", async () => {
    const outbox = memoryOutbox([{ id: 1, messageId: "m-1.reply" }]);
    const relay = new OutboxRelay(outbox.source, async () => {}, silentLogger, 10);
    relay.start();
    await until(() => outbox.sent.length === 1, "the first pass");
    await relay.stop();
    const readsAtStop = outbox.reads();
    relay.kick();
    await relay.stop(); // waits for any pass in flight: there is none
    expect(outbox.reads()).toBe(readsAtStop);
  });

  it("retries a row the broker refuses with backoff, logging its 1st, 2nd, 4th ... attempt; the rows behind it flow", async () => {
    const outbox = memoryOutbox([{ id: 1, messageId: "to-a-deleted-queue" }]);
    const attempts: number[] = [];
    const logged = recordingLogger();
    const relay = new OutboxRelay(
      outbox.source,
      async (row) => {
        if (row.id !== 1) return;
        attempts.push(Date.now());
        throw new SagaToolkitError("AMQP_UNROUTABLE", `nothing bound for ${row.messageId}`);
      },
      logged.logger,
      5,
    );
    relay.start();
    await until(() => attempts.length >= 5, "five attempts");
    outbox.rows.push({ id: 2, messageId: "behind-it" });
    await until(() => outbox.sent.includes(2), "the row behind it sent");
    await relay.stop();
    // 5, 10, 20, 40 ms apart: backoff, not every 5 ms pass.
    const gaps = attempts.slice(1, 5).map((at, i) => at - attempts[i]!);
    expect(gaps[3]!).toBeGreaterThanOrEqual(35);
    expect(logged.lines.map((line) => line.attempt)).toEqual([1, 2, 4]);
    expect(logged.lines[0]).toMatchObject({
      msg: "outbox publish failed; will retry",
      messageId: "to-a-deleted-queue",
    });
  });

  it("parks a row the broker keeps refusing after maxRefusals tries, with the reason, and tries it no more", async () => {
    const outbox = memoryOutbox([
      { id: 1, messageId: "to-a-deleted-queue" },
      { id: 2, messageId: "fine" },
    ]);
    let attempts = 0;
    const logged = recordingLogger();
    const relay = new OutboxRelay(
      outbox.source,
      async (row) => {
        if (row.id !== 1) return;
        attempts++;
        throw new SagaToolkitError("AMQP_UNROUTABLE", "no queue is bound for gone.commands");
      },
      logged.logger,
      1,
      4,
    );
    relay.start();
    await until(() => outbox.parked.has(1), "the row parked");
    await new Promise((resolve) => setTimeout(resolve, 50)); // passes go on: the parked row is not tried again
    await relay.stop();
    expect(attempts).toBe(4);
    expect(outbox.sent).toEqual([2]);
    expect(outbox.parked.get(1)).toBe(
      "AMQP_UNROUTABLE: no queue is bound for gone.commands (refused 4 times)",
    );
    expect(logged.lines.at(-1)).toMatchObject({ code: "SAGA_OUTBOX_PARKED", outboxRow: 1 });
  });

  it("never parks a row while the broker cannot be reached: an outage is waited out", async () => {
    const outbox = memoryOutbox([{ id: 1, messageId: "m-1" }]);
    let failures = 0;
    const relay = new OutboxRelay(
      outbox.source,
      async () => {
        failures++;
        throw new SagaToolkitError("AMQP_CONNECTION_LOST", "broker gone");
      },
      silentLogger,
      1,
      2,
    );
    relay.start();
    await until(() => failures >= 10, "ten failed passes");
    await relay.stop();
    expect(outbox.parked.size).toBe(0);
  });

  it("hands the rows it could not publish (broker unreachable) back, not those the broker refused", async () => {
    const outbox = memoryOutbox([
      { id: 1, messageId: "m-1" },
      { id: 2, messageId: "to-a-deleted-queue" },
      { id: 3, messageId: "m-3" },
    ]);
    const released: number[][] = [];
    const relay = new OutboxRelay(
      { ...outbox.source, release: (ids) => void released.push([...ids]) },
      async (row) => {
        if (row.id === 2) throw new SagaToolkitError("AMQP_UNROUTABLE", "no queue bound");
        if (row.id === 3) throw new SagaToolkitError("AMQP_CONNECTION_LOST", "broker gone");
      },
      silentLogger,
      1_000,
    );
    relay.start();
    await until(() => released.length === 1, "the first pass");
    await relay.stop();
    expect(outbox.sent).toEqual([1]);
    expect(released).toEqual([[3]]); // another instance may reach the broker; a refusal would be the same there
  });

  it("while the broker cannot be reached, logs one line per 10 s with the count, not one per failed publish", async () => {
    const outbox = memoryOutbox(
      Array.from({ length: 20 }, (_, i) => ({ id: i + 1, messageId: `m-${i + 1}` })),
    );
    const logged = recordingLogger();
    let failures = 0;
    const relay = new OutboxRelay(
      outbox.source,
      async () => {
        failures++;
        throw new SagaToolkitError("AMQP_CONNECTION_LOST", "broker gone");
      },
      logged.logger,
      5,
    );
    relay.start();
    await until(() => failures >= 100, "five passes of failures");
    await relay.stop();
    expect(logged.lines).toHaveLength(1);
    expect(outbox.sent).toEqual([]);
  });
});

/** A logger whose lines (fields and message) the test reads. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const line = (obj: object, msg?: string) => void lines.push({ ...obj, msg });
  const logger: Logger = { debug: () => {}, info: line, warn: line, error: line };
  return { logger, lines };
}
