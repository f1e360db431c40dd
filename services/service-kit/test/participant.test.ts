/**
 * A participant on the transactional outbox (startParticipant: SqliteOutbox as serve()'s unit of work, OutboxRelay
 * publishing), once on the in-process transport and once on RabbitMQ in a private vhost. The service here is a tiny
 * one: `notes.write` inserts a row into its own table and answers with the row count, so every effect is countable.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectAmqp,
  createInProcessTransport,
  failure,
  SagaToolkitError,
  serve,
  success,
  type Delivery,
  type MessageContext,
  type MessageSpec,
  type ServiceSpec,
  type Transport,
  type Validator,
} from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { openSqlite } from "@asyncgen/saga/sqlite";
import {
  createLogger,
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  startParticipant,
  wrapTransport,
  type Migration,
  type ParticipantSql,
  ServiceMetrics,
  type RunningParticipant,
} from "../src/index.js";

const isObject: Validator = (data: unknown) => typeof data === "object" && data !== null;
const message = <T>(name: string): MessageSpec<T> => ({ name, validatePayload: isObject });
const Write = message<{ key: string }>("notes.write");
const Written = message<{ rows: number }>("notes.write.response.success");
const Refused = message<{ reason: string }>("notes.write.response.failure");

/** What the handler does for a key: write and answer, refuse, write then throw (always, or on the first attempt). */
type Plan = "write" | "refuse" | "write-then-throw" | "write-then-throw-once";

const NOTES_MIGRATIONS: Migration[] = [
  (d) => `CREATE TABLE notes (id ${d.serialKey}, key TEXT NOT NULL);`,
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
];

/** Every publish fails, as when the process dies after the commit and before the relay publishes. */
function publishingFails(transport: Transport): Transport {
  return wrapTransport(transport, {
    publish: () =>
      Promise.reject(new SagaToolkitError("AMQP_CONNECTION_LOST", "test: gone before publishing")),
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const transports: [string, (url: string) => Promise<Transport>][] = [
  ["in-process", async () => createInProcessTransport()],
  ["amqp", (url) => connectAmqp(url, { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })],
];

describe.each(transports)("a participant on the transactional outbox (%s)", (kind, open) => {
  let vhost: ReturnType<typeof createTestVhost> | undefined;
  let transport: Transport;
  const cleanups: (() => Promise<void> | void)[] = [];
  let counter = 0;

  beforeAll(async () => {
    if (kind === "amqp") vhost = createTestVhost("participant-outbox");
    transport = await open(vhost?.url ?? "");
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await transport?.close();
    vhost?.remove();
  });

  /** A service with its own queue, reply queue and database file; start() can run it again on the same file. */
  async function notesService(plans: Record<string, Plan> = {}) {
    const n = ++counter;
    const queue = `notes.commands.${n}`;
    const replyQueue = `notes.replies.${n}`;
    const databaseFile = path.join(mkdtempSync(path.join(tmpdir(), "participant-outbox-")), "notes.sqlite");
    const spec: ServiceSpec = {
      service: "notes",
      contractVersion: "1.0.0",
      queue: { name: queue, durable: true, arguments: { "x-queue-type": "quorum", "x-delivery-limit": 3 } },
      operations: [{ operationId: "write", message: Write, replies: { success: Written, failure: Refused } }],
    };
    const calls: string[] = [];
    const handlers = (sql: ParticipantSql) => ({
      async write({ key }: { key: string }, context: MessageContext) {
        calls.push(key);
        const plan = plans[key] ?? "write";
        if (plan === "refuse") return failure({ reason: `no ${key}` });
        await sql.run(`INSERT INTO notes (key) VALUES (?)`, [key]);
        await new Promise((resolve) => setTimeout(resolve, 1)); // the transaction spans an await
        const throws =
          plan === "write-then-throw" || (plan === "write-then-throw-once" && context.deliveryCount === 1);
        if (throws) throw new Error(`disk full while writing ${key}`);
        const [counted] = await sql.all<{ rows: number }>(`SELECT count(*) AS rows FROM notes`);
        return success({ rows: Number(counted!.rows) });
      },
    });
    const start = async (
      via: Transport = transport,
      extra: { metrics?: ServiceMetrics; relayIntervalMs?: number } = {},
    ) => {
      const service = await startParticipant(
        {
          transport: via,
          databaseFile,
          logger: createLogger("notes", "silent"),
          retryDelayMs: () => 5,
          ...extra,
        },
        {
          schema: "notes",
          migrations: NOTES_MIGRATIONS,
          openStore: (sql) => sql,
          serve: (sql, options) => serve(via, spec, handlers(sql), options),
        },
      );
      cleanups.push(() => service.stop());
      return service;
    };

    await transport.declareQueue({ name: replyQueue, durable: true, arguments: {} });
    const replies: Delivery[] = [];
    const replySubscription = await transport.consume(
      replyQueue,
      async (d) => void (replies.push(d), d.ack()),
      {
        prefetch: 50,
      },
    );
    cleanups.push(() => replySubscription.cancel());
    // A second connection to the database, as an operator or the fault suite would read it.
    const db = openSqlite(databaseFile, []);
    cleanups.push(() => void db.close());
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const send = async (key: string, messageId: string = randomUUID(), replyTo = replyQueue) => {
      await transport.publish({
        exchange: "",
        routingKey: queue,
        body: Buffer.from(JSON.stringify({ key })),
        properties: {
          messageId,
          type: Write.name,
          correlationId: `saga-${key}`,
          replyTo,
          timestamp: Math.floor(Date.now() / 1000),
          contentType: "application/json",
          headers: { contract_version: "1.0.0" },
        },
      });
      return messageId;
    };
    const state = () => ({
      notes: count(`SELECT count(*) AS n FROM notes`),
      outbox: count(`SELECT count(*) AS n FROM outbox`),
      unsent: count(`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`),
      consumed: count(`SELECT count(*) AS n FROM consumed_messages`),
    });
    /** No command waiting (all delivered) and every stored reply published. */
    const settled = async () => (await transport.queueDepth(queue)) === 0 && state().unsent === 0;
    /**
     * Stops the service and checks that no delivery came back to the queue: each one was acked (a delivery still
     * unacked when its consumer goes away returns to the queue).
     */
    const stopAndCheckAcked = async (service: RunningParticipant) => {
      await service.stop();
      expect(await transport.queueDepth(queue)).toBe(0);
    };
    return { queue, start, send, replies, calls, state, settled, stopAndCheckAcked };
  }

  const body = (d: Delivery): unknown => JSON.parse(d.body.toString("utf8"));

  it("commits the state change, the reply and the dedup record together; the relay publishes the reply as built", async () => {
    const notes = await notesService({ b: "refuse" });
    const service = await notes.start();
    const a = await notes.send("a");
    const b = await notes.send("b");
    await until(() => notes.replies.length === 2, "both replies");
    await until(notes.settled, "the outbox drained");
    const byType = new Map(notes.replies.map((d) => [d.properties.type, d]));
    expect(byType.get("notes.write.response.success")!.properties).toMatchObject({
      messageId: `${a}.reply`,
      correlationId: "saga-a",
      contentType: "application/json",
      headers: { contract_version: "1.0.0" },
    });
    expect(body(byType.get("notes.write.response.success")!)).toEqual({ rows: 1 });
    // A business refusal is a failure reply, through the outbox like any other.
    expect(byType.get("notes.write.response.failure")!.properties.messageId).toBe(`${b}.reply`);
    expect(body(byType.get("notes.write.response.failure")!)).toEqual({ reason: "no b" });
    expect(notes.state()).toEqual({ notes: 1, outbox: 2, unsent: 0, consumed: 2 });
    await notes.stopAndCheckAcked(service);
  });

  it("a reply the broker keeps refusing is parked with its reason: listed by parked() and counted on its metrics", async () => {
    const notes = await notesService();
    const metrics = new ServiceMetrics("notes");
    // A 1 ms relay interval makes the refusals' backoff (doubling from the interval) end within about 2 s.
    const service = await notes.start(transport, { metrics, relayIntervalMs: 1 });
    await notes.send("a", randomUUID(), "notes.replies.nobody-declared-this");
    await until(async () => (await service.parked()).length === 1, "the reply parked", 30_000);
    const [parked] = await service.parked();
    expect(parked).toMatchObject({
      type: "notes.write.response.success",
      routing_key: "notes.replies.nobody-declared-this",
    });
    expect(parked!.park_reason).toMatch(/^AMQP_UNROUTABLE: .*\(refused 12 times\)$/);
    expect(await metrics.registry.metrics()).toMatch(/^saga_outbox_parked\{service="notes"\} 1$/m);
    expect(notes.state()).toMatchObject({ outbox: 1, unsent: 1, consumed: 1 });
    await notes.stopAndCheckAcked(service);
  });

  it("a handler that throws after writing leaves no state change, no outbox row, no dedup record; dead-lettered at the limit", async () => {
    const notes = await notesService({ doomed: "write-then-throw", flaky: "write-then-throw-once" });
    const service = await notes.start();
    const dlq = `${notes.queue}.dlq`;
    await notes.send("doomed");
    await until(async () => (await transport.queueDepth(dlq)) === 1, "the dead letter");
    expect(notes.calls).toEqual(["doomed", "doomed", "doomed"]); // the queue's x-delivery-limit
    expect(notes.state()).toEqual({ notes: 0, outbox: 0, unsent: 0, consumed: 0 });

    // Written, then rolled back, then redelivered and written once: one row, one reply.
    await notes.send("flaky");
    await until(() => notes.replies.length === 1, "the reply to the redelivery");
    await until(notes.settled, "the outbox drained");
    expect(notes.calls.filter((key) => key === "flaky")).toHaveLength(2);
    expect(body(notes.replies[0]!)).toEqual({ rows: 1 });
    expect(notes.state()).toEqual({ notes: 1, outbox: 1, unsent: 0, consumed: 1 });
    await notes.stopAndCheckAcked(service);
  });

  it("a message delivered twice has one effect and one reply, across a restart too", async () => {
    const notes = await notesService();
    const first = await notes.start();
    const id = await notes.send("twice");
    await notes.send("twice", id);
    await until(() => notes.replies.length === 1, "the reply");
    await until(notes.settled, "both deliveries taken and the outbox drained");
    await notes.stopAndCheckAcked(first); // the restarted process has no memory of it: the database does
    const second = await notes.start();
    await notes.send("twice", id);
    await until(notes.settled, "the third delivery taken");
    await notes.stopAndCheckAcked(second);
    expect(notes.calls).toEqual(["twice"]);
    // Every reply that will ever go out is an outbox row, and there is one, sent.
    expect(notes.state()).toEqual({ notes: 1, outbox: 1, unsent: 0, consumed: 1 });
    expect(notes.replies.map((d) => d.properties.messageId)).toEqual([`${id}.reply`]);
  });

  it("a crash after the commit, before the reply is published: after a restart on the same file exactly one reply arrives", async () => {
    const notes = await notesService();
    const crashed = await notes.start(publishingFails(transport));
    const id = await notes.send("late");
    await until(() => notes.state().consumed === 1, "the commit");
    await notes.stopAndCheckAcked(crashed); // acked after the commit: the broker will not deliver it again
    expect(notes.state()).toEqual({ notes: 1, outbox: 1, unsent: 1, consumed: 1 });
    expect(notes.replies).toEqual([]);

    const restarted = await notes.start(); // same database file, a working broker: the relay publishes what was left
    await until(() => notes.replies.length === 1, "the reply after the restart");
    await until(notes.settled, "the outbox drained");
    expect(notes.replies.map((d) => d.properties.messageId)).toEqual([`${id}.reply`]);
    expect(body(notes.replies[0]!)).toEqual({ rows: 1 });
    expect(notes.calls).toEqual(["late"]); // the command was not handled again
    expect(notes.state()).toEqual({ notes: 1, outbox: 1, unsent: 0, consumed: 1 });
    await notes.stopAndCheckAcked(restarted);
  });
});
