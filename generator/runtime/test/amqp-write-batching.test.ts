import { Writable } from "node:stream";
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import { amqpSocket, batchWritesPerTurn } from "../src/amqp-write-batching.js";
import { AMQP_URL } from "./broker.js";

/** A stream that records each batch it is handed: one entry per write, or one per writev of a corked turn. */
function recordingStream(): { stream: Writable; batches: number[] } {
  const batches: number[] = [];
  const stream = new Writable({
    write(_chunk, _encoding, done) {
      batches.push(1);
      done();
    },
    writev(chunks, done) {
      batches.push(chunks.length);
      done();
    },
  });
  return { stream, batches };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("batchWritesPerTurn", () => {
  it("hands the frames one turn writes to the socket as one batch, and each later turn as its own", async () => {
    const { stream, batches } = recordingStream();
    batchWritesPerTurn(stream as unknown as Parameters<typeof batchWritesPerTurn>[0]);
    for (let i = 0; i < 5; i++) stream.write(Buffer.from([i]));
    await nextTurn();
    stream.write(Buffer.from([9]));
    await nextTurn();
    stream.write(Buffer.from([10]));
    stream.write(Buffer.from([11]));
    await nextTurn();
    expect(batches).toEqual([5, 1, 2]);
  });

  it("without it, every write is its own batch (what amqplib does on its own)", async () => {
    const { stream, batches } = recordingStream();
    for (let i = 0; i < 3; i++) stream.write(Buffer.from([i]));
    await nextTurn();
    expect(batches).toEqual([1, 1, 1]);
  });

  it("finds the socket of a real amqplib connection (an amqplib upgrade that moves it fails here)", async () => {
    const model = await amqp.connect(AMQP_URL);
    try {
      const socket = amqpSocket(model);
      expect(socket).toBeDefined();
      expect(typeof socket?.cork).toBe("function");
    } finally {
      await model.close();
    }
  });
});
