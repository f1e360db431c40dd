import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectAmqp,
  createInProcessTransport,
  discardDeadLetters,
  listDeadLetters,
  replayDeadLetters,
  send,
  serve,
  type MessageContext,
  type QueueSpec,
  type ServiceSpec,
  type Transport,
} from "../src/index.js";
import { AMQP_URL, deleteQueues, runPrefix, sleep, until } from "./broker.js";
import { Note } from "./fixtures.js";

/** Dead letters listed, replayed and discarded, on RabbitMQ and in-process alike. */
const transports: [string, () => Promise<Transport>][] = [
  ["in-process", async () => createInProcessTransport()],
  ["amqp", () => connectAmqp(AMQP_URL)],
];

describe.each(transports)("dead letters on %s", (kind, open) => {
  const prefix = runPrefix(`dlq-${kind}`);
  const declared = new Set<string>();
  const closers: (() => Promise<void>)[] = [];
  let transport: Transport;
  let counter = 0;

  beforeAll(async () => {
    transport = await open();
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await transport?.close();
    if (kind === "amqp") await deleteQueues(declared);
  });

  /**
   * A queue served by a `note` handler that throws while `state.broken` (a poisoned message: technical failure
   * until the cause is fixed), and records every message it handled.
   */
  async function poisonable(label: string) {
    const name = `${prefix}.${label}.${++counter}`;
    declared.add(name);
    const queue: QueueSpec = {
      name,
      durable: true,
      arguments: { "x-queue-type": "quorum", "x-delivery-limit": 5 },
    };
    const spec: ServiceSpec = {
      service: "notes",
      contractVersion: "1.0.0",
      queue,
      operations: [{ operationId: "note", message: Note }],
    };
    const state = { broken: true, handled: [] as { n: number; messageId: string }[] };
    const server = await serve(
      transport,
      spec,
      {
        note: async ({ n }: { n: number }, context: MessageContext) => {
          if (state.broken) throw new Error("the notes table is missing");
          state.handled.push({ n, messageId: context.messageId });
        },
      },
      { maxAttempts: 2, retryDelayMs: () => 5 },
    );
    closers.push(() => server.close());
    const sendNote = (n: number) =>
      send(transport, { exchange: "", routingKey: name }, Note, { n }, "1.0.0", {
        correlationId: `saga-${n}`,
      });
    const deadCount = async () => (await listDeadLetters(transport, name)).length;
    return { name, state, sendNote, deadCount };
  }

  it("lists a poisoned message, replays it once its cause is fixed, and it is consumed once", async () => {
    const notes = await poisonable("fixed");
    const { messageId } = await notes.sendNote(7);
    await until(async () => (await notes.deadCount()) === 1, "the poisoned message dead-lettered");

    const [letter] = await listDeadLetters(transport, notes.name);
    expect(letter).toMatchObject({
      queue: `${notes.name}.dlq`,
      message_id: messageId,
      type: "calc.note",
      correlation_id: "saga-7",
      error_code: "HANDLER_FAILED",
      reason: "the notes table is missing (after 2 attempts)",
      original_queue: notes.name,
      replay_count: 0,
      payload: { n: 7 },
    });
    expect(Date.parse(letter!.dead_lettered_at!)).toBeGreaterThan(Date.now() - 60_000);
    expect(await notes.deadCount()).toBe(1); // listing takes nothing out

    notes.state.broken = false;
    const replayed = await replayDeadLetters(transport, `${notes.name}.dlq`, { messageId });
    expect(replayed.map((r) => r.message_id)).toEqual([messageId]);
    await until(() => notes.state.handled.length === 1, "the replayed message handled");
    await sleep(200);
    expect(notes.state.handled).toEqual([{ n: 7, messageId }]); // same message id, handled once
    expect(await notes.deadCount()).toBe(0);
  });

  it("sends a replay that fails again back to the dead-letter queue with its replay count", async () => {
    const notes = await poisonable("still-bad");
    const { messageId } = await notes.sendNote(1);
    await until(async () => (await notes.deadCount()) === 1, "dead-lettered");
    await replayDeadLetters(transport, notes.name, { all: true });
    await until(
      async () => (await listDeadLetters(transport, notes.name))[0]?.replay_count === 1,
      "back in the dead-letter queue after the replay",
    );
    const [again] = await listDeadLetters(transport, notes.name);
    expect(again).toMatchObject({ message_id: messageId, error_code: "HANDLER_FAILED", replay_count: 1 });
    expect(notes.state.handled).toEqual([]);
  });

  it("replays one message by id and leaves the others in order; discards by id and all", async () => {
    const notes = await poisonable("select");
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await notes.sendNote(n)).messageId);
    await until(async () => (await notes.deadCount()) === 3, "three dead-lettered");
    const before = (await listDeadLetters(transport, notes.name)).map((l) => l.message_id);
    expect([...before].sort()).toEqual([...ids].sort());

    notes.state.broken = false;
    await replayDeadLetters(transport, notes.name, { messageId: before[1]! });
    await until(() => notes.state.handled.length === 1, "the chosen one handled");
    expect(notes.state.handled[0]!.messageId).toBe(before[1]);
    expect((await listDeadLetters(transport, notes.name)).map((l) => l.message_id)).toEqual([
      before[0],
      before[2],
    ]);

    expect(await discardDeadLetters(transport, notes.name, { messageId: "no-such-id" })).toEqual([]);
    const gone = await discardDeadLetters(transport, notes.name, { messageId: before[0]! });
    expect(gone.map((l) => l.message_id)).toEqual([before[0]]);
    expect((await discardDeadLetters(transport, notes.name, { all: true })).map((l) => l.message_id)).toEqual(
      [before[2]],
    );
    expect(await notes.deadCount()).toBe(0);
    await sleep(200);
    expect(notes.state.handled).toHaveLength(1); // discarded ones are never delivered
  });

  it("lists nothing for a queue that has no dead-letter queue", async () => {
    expect(await listDeadLetters(transport, `${prefix}.never-declared`)).toEqual([]);
  });
});
