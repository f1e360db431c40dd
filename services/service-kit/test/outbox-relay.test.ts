import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { SagaToolkitError } from "@saga/runtime";
import { createLogger, OutboxRelay, type OutboxRowRef, type OutboxSource } from "../src/index.js";

/** An outbox in memory whose reads fail `failingReads` times first (a busy or closing database). */
function memoryOutbox(rows: OutboxRowRef[], failingReads = 0) {
  const sent: number[] = [];
  let reads = 0;
  const source: OutboxSource<OutboxRowRef> = {
    pendingOutbox(limit) {
      reads++;
      if (failingReads-- > 0) throw new Error("database is locked");
      return rows.filter((row) => !sent.includes(row.id)).slice(0, limit);
    },
    markSent(ids) {
      sent.push(...ids);
    },
  };
  return { source, rows, sent, reads: () => reads };
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
      createLogger("test", "silent"),
      10,
    );
    relay.start();
    await until(() => outbox.sent.length === 1, "the row sent after two failed reads");
    await relay.stop();
    expect(published).toEqual(["m-1.reply"]);
    expect(outbox.reads()).toBeGreaterThanOrEqual(3);
  });

  it("does nothing once stopped, even when kicked (a commit racing the shutdown)", async () => {
    const outbox = memoryOutbox([{ id: 1, messageId: "m-1.reply" }]);
    const relay = new OutboxRelay(outbox.source, async () => {}, createLogger("test", "silent"), 10);
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

/** A pino logger whose lines the test reads. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}
