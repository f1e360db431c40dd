/**
 * The three participants (consumer, restaurant, accounting) on real RabbitMQ, all in this one file so their tests
 * run one after another and never take each other's replies. The broker is `AMQP_URL` (default the local one);
 * the file works in a private virtual host, and each test first purges the queues it uses (the service's command
 * queue and create_order_saga_responses), since the contracts fix the queue names. Replies are matched by
 * correlation id. The order service's side is the generated OrderServiceClient and serveOrderService.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OrderServiceClient, serveOrderService } from "@saga/generated/order-service";
import { connectAmqp, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import Database from "better-sqlite3";
import { createLogger, type SqliteDatabase } from "@saga/service-kit";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService, type RestaurantServiceOptions } from "../src/service.js";
import { npmStart, replyRecorder, tempDir, waitUntil, type StartedProcess } from "@saga/service-kit/testing";

const RESPONSES = "create_order_saga_responses";
const items = [{ name: "Dish 1", quantity: 2 }];

let vhost: ReturnType<typeof createTestVhost>;
beforeAll(() => void (vhost = createTestVhost("participants")));
afterAll(() => vhost?.remove());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Empties a queue of the test vhost; a queue not declared yet has nothing to purge. */
async function purge(queue: string): Promise<void> {
  await promisify(execFile)("rabbitmqctl", ["-q", "purge_queue", "-p", vhost.vhost, queue]).catch(() => {
    // not declared yet
  });
}

async function connect(): Promise<Transport> {
  const transport = await connectAmqp(vhost.url);
  cleanups.push(() => transport.close());
  return transport;
}

/** Purges the queues the test uses, then serves the order service's reply queue (recording) and returns a client. */
async function orderSide(...serviceQueues: string[]) {
  await Promise.all([...serviceQueues, RESPONSES].map(purge));
  const transport = await connect();
  const recorder = replyRecorder();
  const orders = await serveOrderService(transport, recorder.handlers, recorder.options);
  cleanups.push(() => orders.close());
  return { client: new OrderServiceClient(transport), recorder, transport };
}

/**
 * A service's database, opened beside the running service (WAL: readers do not block it). Not with openSqlite: that
 * would make this process the file's holder, and the service's restart would be refused (SAGA_DATABASE_IN_USE).
 */
function database(file: string): SqliteDatabase {
  const db = new Database(file);
  cleanups.push(() => void db.close());
  return db;
}

const saga = (label: string) => `${label}-${randomUUID()}`;
const silent = (name: string) => createLogger(name, "silent");

describe("consumer-service on RabbitMQ", () => {
  it("accepts consumer 70 and refuses consumer 10, one recorded verdict per saga", async () => {
    const { client, recorder } = await orderSide("consumer_service.commands");
    const databaseFile = path.join(tempDir("consumer-rmq"), "consumer-service.sqlite");
    const service = await startConsumerService({
      transport: await connect(),
      databaseFile,
      logger: silent("consumer-service"),
    });
    cleanups.push(() => service.stop());

    const accepted = saga("accepted");
    const refused = saga("refused");
    await client.verifyConsumerDetails({ consumer_id: 70 }, { correlationId: accepted });
    await client.verifyConsumerDetails({ consumer_id: 10 }, { correlationId: refused });
    await client.verifyConsumerDetails({ consumer_id: 10 }, { correlationId: refused }); // resent by the saga
    expect(await recorder.waitFor(accepted)).toEqual([
      {
        operation: "onVerifyConsumerDetailsSuccess",
        type: "consumer_service.verify_consumer_details.response.success",
        correlationId: accepted,
        payload: null,
      },
    ]);
    const failures = await recorder.waitFor(refused, 2);
    expect(failures.map((r) => r.operation)).toEqual([
      "onVerifyConsumerDetailsFailure",
      "onVerifyConsumerDetailsFailure",
    ]);
    expect(failures[0]!.payload).toEqual({
      type: "ValueError",
      message: "Consumer has incorrect id = 10",
      module: "consumer-service",
      traceback: [],
    });
    const db = database(databaseFile);
    expect(db.prepare("SELECT correlation_id, verdict FROM verifications ORDER BY verdict").all()).toEqual([
      { correlation_id: accepted, verdict: "accepted" },
      { correlation_id: refused, verdict: "refused" },
    ]);
  });
});

describe("accounting-service on RabbitMQ", () => {
  it("authorizes 20 once per saga (a resent command gets the same transaction) and declines 50", async () => {
    const { client, recorder } = await orderSide("accounting_service.commands");
    const databaseFile = path.join(tempDir("accounting-rmq"), "accounting-service.sqlite");
    const service = await startAccountingService({
      transport: await connect(),
      databaseFile,
      logger: silent("accounting-service"),
    });
    cleanups.push(() => service.stop());

    const paid = saga("paid");
    const declined = saga("declined");
    await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: paid });
    await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: paid });
    await client.authorizeCard({ card_id: 3, amount: 50 }, { correlationId: declined });
    const [first, again] = await recorder.waitFor(paid, 2);
    expect(first).toMatchObject({
      operation: "onAuthorizeCardSuccess",
      type: "accounting_service.authorize_card.response.success",
    });
    expect(again!.payload).toEqual(first!.payload);
    expect(await recorder.waitFor(declined)).toEqual([
      {
        operation: "onAuthorizeCardFailure",
        type: "accounting_service.authorize_card.response.failure",
        correlationId: declined,
        payload: {
          type: "ValueError",
          message: "Card authorization failed. Insiffucient balance",
          module: "accounting-service",
          traceback: [],
        },
      },
    ]);
    const db = database(databaseFile);
    expect(
      db.prepare("SELECT transaction_id, correlation_id, amount FROM card_authorizations").all(),
    ).toEqual([{ ...(first!.payload as { transaction_id: number }), correlation_id: paid, amount: 20 }]);
  });
});

describe("restaurant-service on RabbitMQ", () => {
  type Rules = Pick<RestaurantServiceOptions, "approveTicketFailureRate" | "random">;

  async function restaurant(rules: Rules) {
    const { client, recorder, transport } = await orderSide("restaurant_service.commands");
    const databaseFile = path.join(tempDir("restaurant-rmq"), "restaurant-service.sqlite");
    /** Starts the service on its own connection; stop() also closes the connection, as a process exit would. */
    const start = async () => {
      const transport = await connectAmqp(vhost.url);
      const service = await startRestaurantService({
        transport,
        databaseFile,
        logger: silent("restaurant-service"),
        retryDelayMs: () => 20,
        ...rules,
      });
      const stop = async () => {
        await service.stop();
        await transport.close();
      };
      cleanups.push(stop);
      return { stop };
    };
    return { client, recorder, start, transport, db: () => database(databaseFile) };
  }

  it("a create delivered again after a restart gets no second ticket or reply; approval retried after a transient failure: approved once", async () => {
    const draws = [0.1, 0.9]; // rate 0.3: the first attempt fails transiently, the redelivery succeeds
    let attempts = 0;
    const { client, recorder, start, transport, db } = await restaurant({
      approveTicketFailureRate: 0.3,
      random: () => (attempts++, draws.shift() ?? 0.9),
    });
    const first = await start();
    const id = saga("ticket");
    const create = { order_id: 21, customer_id: 70, items };
    await client.createTicket(create, { correlationId: id, messageId: `${id}.create` });
    await recorder.waitFor(id);
    // The process goes away and comes back, and the broker delivers the same command again, as after a crash
    // between the commit and the ack: consumed_messages (in the database, not in memory) has it, so it is acked
    // without a second ticket or reply. The saga's resend (a new message id) is answered with the same ticket.
    await first.stop();
    const second = await start();
    await client.createTicket(create, { correlationId: id, messageId: `${id}.create` });
    await client.createTicket(create, { correlationId: id });
    const created = await recorder.waitFor(id, 2);
    expect(created.map((r) => r.operation)).toEqual(Array(2).fill("onCreateTicketSuccess"));
    expect(new Set(created.map((r) => JSON.stringify(r.payload))).size).toBe(1);
    const { ticket_id } = created[0]!.payload as { ticket_id: number };

    await client.approveTicket({ ticket_id }, { correlationId: id });
    const replies = await recorder.waitFor(id, 3);
    expect(replies[2]).toEqual({
      operation: "onApproveTicketSuccess",
      type: "restaurant_service.approve_ticket.response.success",
      correlationId: id,
      payload: null,
    });
    expect(attempts).toBe(2); // redelivered by the broker after the thrown transient error
    // Nothing more can arrive: every command is acked (none comes back to the queue when the service stops) and
    // every reply ever sent is an outbox row, all published: create, resend and approval; none for the duplicate.
    const tickets = db();
    const unsent = () =>
      (tickets.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n;
    const commands = async () => (await transport.queueDepth("restaurant_service.commands")) ?? -1;
    await waitUntil(async () => (await commands()) === 0 && unsent() === 0, 10_000);
    await second.stop();
    expect(await commands()).toBe(0);
    expect(tickets.prepare("SELECT type FROM outbox ORDER BY id").all()).toEqual([
      { type: "restaurant_service.create_ticket.response.success" },
      { type: "restaurant_service.create_ticket.response.success" },
      { type: "restaurant_service.approve_ticket.response.success" },
    ]);
    expect(recorder.forSaga(id)).toHaveLength(3);
    expect(tickets.prepare("SELECT id, state FROM tickets WHERE order_id = 21").all()).toEqual([
      { id: ticket_id, state: "approved" },
    ]);
  });

  it("rejects (confirmed, idempotent, unknown tickets too) and then refuses approval", async () => {
    const { client, recorder, start, db } = await restaurant({ approveTicketFailureRate: 0 });
    await start();
    const id = saga("reject");
    await client.createTicket({ order_id: 22, customer_id: 70, items }, { correlationId: id });
    const [created] = await recorder.waitFor(id);
    const { ticket_id } = created!.payload as { ticket_id: number };
    await client.rejectTicket({ ticket_id }, { correlationId: id });
    await client.rejectTicket({ ticket_id }, { correlationId: id });
    await client.rejectTicket({ ticket_id: ticket_id + 1000 }, { correlationId: id });
    await recorder.waitFor(id, 4);
    await client.approveTicket({ ticket_id }, { correlationId: id });
    const replies = await recorder.waitFor(id, 5);
    expect(replies.map((r) => r.operation)).toEqual([
      "onCreateTicketSuccess",
      "onRejectTicketSuccess",
      "onRejectTicketSuccess",
      "onRejectTicketSuccess",
      "onApproveTicketFailure",
    ]);
    expect(replies[4]!.payload).toEqual({
      type: "TicketStateError",
      message: `Ticket ${ticket_id} is rejected`,
      module: "restaurant-service",
      traceback: [],
    });
    expect(db().prepare("SELECT id, state FROM tickets").all()).toEqual([
      { id: ticket_id, state: "rejected" },
    ]);
  });

  it(
    "dead-letters an approve that keeps failing at the delivery limit, never a failure reply",
    {
      timeout: 60_000,
    },
    async () => {
      let attempts = 0;
      const { client, recorder, start, transport, db } = await restaurant({
        approveTicketFailureRate: 1,
        random: () => (attempts++, 0.5),
      });
      await start();
      const id = saga("stuck");
      await client.createTicket({ order_id: 23, customer_id: 70, items }, { correlationId: id });
      const [created] = await recorder.waitFor(id);
      const { ticket_id } = created!.payload as { ticket_id: number };
      const dlq = "restaurant_service.commands.dlq";
      const depth = async () => (await transport.queueDepth(dlq)) ?? 0;
      const before = await depth();
      await client.approveTicket({ ticket_id }, { correlationId: id });
      await waitUntil(async () => (await depth()) === before + 1, 30_000);
      expect(attempts).toBe(5); // the contract's x-delivery-limit
      expect(recorder.forSaga(id).map((r) => r.operation)).toEqual(["onCreateTicketSuccess"]);
      expect(db().prepare("SELECT state FROM tickets WHERE id = ?").get(ticket_id)).toEqual({
        state: "created",
      });
    },
  );
});

describe("a participant killed after the commit, before its reply is published (RabbitMQ)", () => {
  it("after a restart on the same database file exactly one reply arrives, and the command is not handled again", async () => {
    // No reply queue yet: the reply is committed with the authorization, but the relay cannot publish it (returned
    // as unroutable), so the process is killed with the reply only in its outbox.
    await purge("accounting_service.commands");
    await promisify(execFile)("rabbitmqctl", ["-q", "delete_queue", "-p", vhost.vhost, RESPONSES]).catch(
      () => {
        // not declared yet
      },
    );
    const dataDir = tempDir("accounting-crash");
    const env = { BROKER: "amqp", AMQP_URL: vhost.url, DATA_DIR: dataDir, LOG_LEVEL: "info" };
    const crashing = npmStart("accounting-service", env);
    cleanups.push(() => crashing.stop());
    await crashing.waitForOutput(/"msg":"accounting-service: consuming accounting_service\.commands"/);
    const id = saga("crash");
    await new OrderServiceClient(await connect()).authorizeCard(
      { card_id: 3, amount: 20 },
      { correlationId: id, messageId: `${id}.authorize` },
    );
    await crashing.waitForOutput(/AMQP_UNROUTABLE.*"msg":"outbox publish failed; will retry"/);
    const db = database(path.join(dataDir, "accounting-service.sqlite"));
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count("SELECT count(*) AS n FROM consumed_messages")).toBe(1);
    expect(count("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")).toBe(1);
    await crashing.kill();

    const { recorder } = await orderSide(); // declares the reply queue
    const restarted = npmStart("accounting-service", env);
    cleanups.push(() => restarted.stop());
    const [reply] = await recorder.waitFor(id, 1, 20_000);
    await waitUntil(() => count("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") === 0, 10_000);
    expect(reply).toMatchObject({ operation: "onAuthorizeCardSuccess", correlationId: id });
    const transaction = db.prepare("SELECT transaction_id FROM card_authorizations").all();
    expect(transaction).toEqual([reply!.payload]);
    // Every reply that will ever go out is an outbox row: one, now sent; the command was recorded once.
    expect(count("SELECT count(*) AS n FROM outbox")).toBe(1);
    expect(count("SELECT count(*) AS n FROM consumed_messages")).toBe(1);
    expect(recorder.forSaga(id)).toHaveLength(1);
  });
});

describe("npm start -w services/<participant> on RabbitMQ", () => {
  it("each service alone logs its broker line, consumes its queue and answers the generated client", async () => {
    const { client, recorder } = await orderSide(
      "consumer_service.commands",
      "restaurant_service.commands",
      "accounting_service.commands",
    );
    const env = {
      BROKER: "amqp",
      AMQP_URL: vhost.url,
      DATA_DIR: tempDir("participants-npm-start"),
      APPROVE_TICKET_FAILURE_RATE: "0",
      LOG_LEVEL: "info",
    };
    const services = [
      ["consumer-service", "consumer_service.commands"],
      ["restaurant-service", "restaurant_service.commands"],
      ["accounting-service", "accounting_service.commands"],
    ] as const;
    const processes: StartedProcess[] = services.map(([service]) => npmStart(service, env));
    cleanups.push(async () => void (await Promise.all(processes.map((p) => p.stop()))));
    await Promise.all(
      services.map(async ([service, queue], i) => {
        await processes[i]!.waitForOutput(/"msg":"broker: RabbitMQ at amqp:\/\/[^"]+"/);
        await processes[i]!.waitForOutput(
          new RegExp(`"msg":"${service}: consuming ${queue.replace(".", "\\.")}"`),
        );
      }),
    );
    const id = saga("npm-start");
    await client.verifyConsumerDetails({ consumer_id: 70 }, { correlationId: id });
    await client.createTicket({ order_id: 24, customer_id: 70, items }, { correlationId: id });
    await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: id });
    const replies = await recorder.waitFor(id, 3, 20_000);
    expect(replies.map((r) => r.operation).sort()).toEqual([
      "onAuthorizeCardSuccess",
      "onCreateTicketSuccess",
      "onVerifyConsumerDetailsSuccess",
    ]);
    const outputs = processes.map((p) => p.output);
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    for (const output of outputs) expect(output()).toMatch(/"signal":"SIGTERM".*"msg":"stopping"/);
  });
});
