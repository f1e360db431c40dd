import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectAmqp,
  createInProcessTransport,
  failure,
  send,
  serve,
  success,
  type Delivery,
  type InProcessTransport,
  type MessageContext,
  type OutgoingMessage,
  type ServiceSpec,
  type Transport,
  type UnitOfWork,
} from "../src/index.js";
import { createTestVhost } from "../testing/rabbitmq.js";
import { collectDeliveries, until } from "./broker.js";
import { Add, Note, Refused, Sum } from "./fixtures.js";

/**
 * serve() with a unit of work (transactional outbox), once per transport. The unit of work here keeps its
 * "database" in memory: what it stores and records only once the work resolved, as a real transaction commits.
 */
function memoryUnitOfWork() {
  const consumed = new Set<string>();
  const stored: OutgoingMessage[] = [];
  const calls: string[] = [];
  /** While set, a commit waits for it (to observe that nothing is acked before the commit). */
  let commitGate: Promise<void> | undefined;
  let commitFailures = 0;
  const unitOfWork: UnitOfWork = {
    async transact(messageId, work) {
      calls.push(messageId);
      if (consumed.has(messageId)) return "duplicate";
      const messages = await work();
      await commitGate;
      if (commitFailures > 0) {
        commitFailures--;
        throw new Error("disk I/O error during COMMIT");
      }
      consumed.add(messageId);
      stored.push(...messages);
      return "committed";
    },
  };
  return {
    unitOfWork,
    consumed,
    stored,
    calls,
    holdCommits(): () => void {
      let release = (): void => {};
      commitGate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        commitGate = undefined;
        release();
      };
    },
    failCommits(count: number): void {
      commitFailures = count;
    },
  };
}

const transports: [string, (url: string) => Promise<Transport>][] = [
  ["in-process", async () => createInProcessTransport()],
  ["amqp", (url) => connectAmqp(url, { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })],
];

describe.each(transports)("serve() with a unit of work on %s", (kind, open) => {
  let vhost: ReturnType<typeof createTestVhost> | undefined;
  let transport: Transport;
  const closing: { close(): Promise<void> }[] = [];
  let counter = 0;

  beforeAll(async () => {
    if (kind === "amqp") vhost = createTestVhost("unit-of-work");
    transport = await open(vhost?.url ?? "");
  });
  afterEach(async () => {
    for (const server of closing.splice(0)) await server.close();
  });
  afterAll(async () => {
    await transport?.close();
    vhost?.remove();
  });

  /** A fresh quorum queue (delivery limit 5) for one test. */
  const fresh = (label: string) => `${label}.${++counter}`;
  const calc = (queue: string, operations: ServiceSpec["operations"]): ServiceSpec => ({
    service: "calc",
    contractVersion: "1.0.0",
    queue: { name: queue, durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 5 } },
    operations,
  });
  const add = { operationId: "add", message: Add, replies: { success: Sum, failure: Refused } };
  const note = { operationId: "note", message: Note };
  const toQueue = (routingKey: string) => ({ exchange: "", routingKey });
  const body = (message: { body: Buffer }): unknown => JSON.parse(message.body.toString("utf8"));

  async function collect(name: string, declare = true): Promise<Delivery[]> {
    const { seen, close } = await collectDeliveries(transport, name, declare);
    closing.push({ close });
    return seen;
  }

  async function start(queue: string, implementation: object, uow: UnitOfWork, maxAttempts = 5) {
    closing.push(
      await serve(transport, calc(queue, [add, note]), implementation, {
        unitOfWork: uow,
        maxAttempts,
        retryDelayMs: () => 10,
      }),
    );
  }

  /** Serves `queue` with a note handler that keeps the notes it handled. */
  async function startNotes(queue: string) {
    const store = memoryUnitOfWork();
    const handled: number[] = [];
    const implementation = {
      add: async () => success({ sum: 0 }),
      note: async ({ n }: { n: number }) => void handled.push(n),
    };
    await start(queue, implementation, store.unitOfWork);
    return { store, handled };
  }

  it("stores the validated reply (not published) and acks after the commit; the stored reply publishes as built", async () => {
    const queue = fresh("stores");
    const replies = fresh("stores-replies");
    const got = await collect(replies);
    const store = memoryUnitOfWork();
    const release = store.holdCommits();
    const handled: MessageContext[] = [];
    await start(
      queue,
      {
        add: async ({ a, b }: { a: number; b: number }, ctx: MessageContext) => {
          handled.push(ctx);
          return a + b < 100 ? success({ sum: a + b }) : failure({ reason: a + b });
        },
        note: async () => {},
      },
      store.unitOfWork,
    );
    const ok = await send(transport, toQueue(queue), Add, { a: 2, b: 3 }, "1.0.0", {
      correlationId: "saga-ok",
      replyTo: replies,
    });
    const refused = await send(transport, toQueue(queue), Add, { a: 60, b: 50 }, "1.0.0", {
      correlationId: "saga-refused",
      replyTo: replies,
    });
    await until(() => handled.length === 2, "both handler calls");
    // Not committed yet: nothing stored, nothing acked (the broker still holds both), no reply published.
    expect(store.stored).toEqual([]);
    if (kind === "in-process") expect((transport as InProcessTransport).inspect(queue).unacked).toBe(2);
    release();
    await until(() => store.stored.length === 2, "both commits");
    await until(async () => (await transport.queueDepth(queue)) === 0, "the acks");
    expect(got).toEqual([]); // serve() publishes nothing itself: the outbox's relay does

    const [no, yes] = [...store.stored].sort((x, y) => x.properties.type.localeCompare(y.properties.type));
    expect(no!).toMatchObject({
      exchange: "",
      routingKey: replies,
      properties: {
        type: "calc.add.response.failure",
        correlationId: "saga-refused",
        messageId: `${refused.messageId}.reply`,
        contentType: "application/json",
        headers: { contract_version: "1.0.0" },
      },
    });
    expect(body(no!)).toEqual({ reason: 110 });
    expect(yes!.properties).toMatchObject({
      type: "calc.add.response.success",
      correlationId: "saga-ok",
      messageId: `${ok.messageId}.reply`,
    });
    expect(body(yes!)).toEqual({ sum: 5 });
    expect([...store.consumed].sort()).toEqual([ok.messageId, refused.messageId].sort());

    for (const message of store.stored) await transport.publish(message);
    await until(() => got.length === 2, "the published replies");
    expect(got.map((d) => [d.properties.messageId, body(d)]).sort()).toEqual(
      store.stored.map((m) => [m.properties.messageId, body(m)]).sort(),
    );
  });

  it("acks a message recorded before without calling the handler again", async () => {
    const queue = fresh("duplicate");
    const { store, handled } = await startNotes(queue);
    const messageId = randomUUID();
    await send(transport, toQueue(queue), Note, { n: 1 }, "1.0.0", { correlationId: "c", messageId });
    await until(() => store.consumed.has(messageId), "the first commit");
    await send(transport, toQueue(queue), Note, { n: 1 }, "1.0.0", { correlationId: "c", messageId });
    await send(transport, toQueue(queue), Note, { n: 2 }, "1.0.0", { correlationId: "c" });
    await until(() => handled.includes(2), "the message behind the duplicate");
    await until(() => store.calls.length === 3, "the duplicate's transaction");
    await until(async () => (await transport.queueDepth(queue)) === 0, "the acks");
    expect(handled).toEqual([1, 2]);
    expect(store.calls.filter((id) => id === messageId)).toHaveLength(2);
    expect(store.stored).toEqual([]); // a message nobody answers stores nothing, but is recorded
  });

  it("a throwing handler, an invalid reply or a failed commit keep nothing; redelivered, then dead-lettered at the limit", async () => {
    const queue = fresh("rollback");
    const replies = fresh("rollback-replies");
    await collect(replies);
    const store = memoryUnitOfWork();
    store.failCommits(1); // the first commit fails; its redelivery commits
    const attempts: string[] = [];
    await start(
      queue,
      {
        add: async ({ a }: { a: number }, ctx: MessageContext) => {
          attempts.push(`add ${a} #${ctx.deliveryCount}`);
          if (a === 1) throw new Error("database is locked");
          if (a === 2) return success({ sum: "two" }); // invalid against the contract
          return success({ sum: a });
        },
        note: async () => {},
      },
      store.unitOfWork,
      3,
    );
    const dead = await collect(`${queue}.dlq`, false);
    const send3 = await send(transport, toQueue(queue), Add, { a: 3, b: 0 }, "1.0.0", {
      correlationId: "commit-fails-once",
      replyTo: replies,
    });
    await until(() => store.consumed.has(send3.messageId), "the retried commit");
    for (const a of [1, 2]) {
      await send(transport, toQueue(queue), Add, { a, b: 0 }, "1.0.0", {
        correlationId: `c${a}`,
        replyTo: replies,
      });
    }
    await until(() => dead.length === 2, "both failing commands dead-lettered");
    expect(attempts.filter((a) => a.startsWith("add 3"))).toEqual(["add 3 #1", "add 3 #2"]);
    expect(attempts.filter((a) => a.startsWith("add 1"))).toEqual(["add 1 #1", "add 1 #2", "add 1 #3"]);
    expect(store.stored.map((m) => body(m))).toEqual([{ sum: 3 }]);
    expect(store.consumed.size).toBe(1);
    const reasons = dead.map((d) => String(d.properties.headers["x-error-reason"])).sort();
    expect(dead.map((d) => d.properties.headers["x-error-code"])).toEqual([
      "HANDLER_FAILED",
      "HANDLER_FAILED",
    ]);
    expect(reasons[0]).toContain("calc.add.response.success: /sum must be integer");
    expect(reasons[1]).toBe("database is locked (after 3 attempts)");
  });

  it("dead-letters a message without a message_id (MSG_MISSING_MESSAGE_ID) and handles the one behind it", async () => {
    const queue = fresh("no-id");
    const { store, handled } = await startNotes(queue);
    const dead = await collect(`${queue}.dlq`, false);
    await transport.publish({
      exchange: "",
      routingKey: queue,
      body: Buffer.from(JSON.stringify({ n: 1 })),
      properties: {
        messageId: "",
        type: "calc.note",
        timestamp: Math.floor(Date.now() / 1000),
        contentType: "application/json",
        headers: { contract_version: "1.0.0" },
      },
    });
    await send(transport, toQueue(queue), Note, { n: 2 }, "1.0.0", { correlationId: "c" });
    await until(() => dead.length === 1 && handled.length === 1, "the dead letter and the next message");
    expect(handled).toEqual([2]);
    expect(dead[0]!.properties.headers).toMatchObject({
      "x-error-code": "MSG_MISSING_MESSAGE_ID",
      "x-error-reason": "calc.note has no message_id, so its handling could not be deduplicated",
    });
    expect(store.calls).toHaveLength(1);
  });
});

describe("serve() options", () => {
  it("refuses a dedup together with a unit of work", async () => {
    const transport = createInProcessTransport();
    const spec: ServiceSpec = {
      service: "notes",
      contractVersion: "1.0.0",
      queue: { name: "notes", durable: true, arguments: {} },
      operations: [{ operationId: "note", message: Note }],
    };
    await expect(
      serve(
        transport,
        spec,
        { note: async () => {} },
        { unitOfWork: memoryUnitOfWork().unitOfWork, dedup: { has: () => false, add: () => {} } },
      ),
    ).rejects.toThrow("notes: give serve() a dedup or a unitOfWork, not both");
    await transport.close();
  });
});
