import { describe, expect, it } from "vitest";
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
  return { source, sent, reads: () => reads };
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
});
