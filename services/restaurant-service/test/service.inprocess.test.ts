import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OrderServiceClient, serveOrderService } from "@saga/generated/order-service";
import { createInProcessTransport, type InProcessTransport } from "@asyncgen/runtime";
import { createLogger, SqliteParticipantDatabase } from "@saga/service-kit";
import { startRestaurantService, type RestaurantServiceOptions } from "../src/service.js";
import { TICKET_MIGRATIONS, TicketStore } from "../src/store.js";
import { replyRecorder, tempDir, waitUntil } from "@saga/service-kit/testing";

const items = [{ name: "Dish 1", quantity: 2 }];
type Rules = Pick<RestaurantServiceOptions, "approveTicketFailureRate" | "random">;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The service as it runs, on the in-process broker: commands from the generated client, replies recorded. */
async function setUp(rules: Rules = { approveTicketFailureRate: 0 }) {
  const transport = createInProcessTransport();
  cleanups.push(() => transport.close());
  const recorder = replyRecorder();
  const orders = await serveOrderService(transport, recorder.handlers, recorder.options);
  cleanups.push(() => orders.close());
  const databaseFile = path.join(tempDir("restaurant-service"), "restaurant-service.sqlite");
  const start = async (startRules: Rules = rules) => {
    const service = await startRestaurantService({
      transport,
      databaseFile,
      logger: createLogger("restaurant-service", "silent"),
      retryDelayMs: () => 1,
      ...startRules,
    });
    cleanups.push(() => service.stop());
    return service;
  };
  const service = await start();
  // A second connection of this process to the service's file, to look at its rows.
  const database = new SqliteParticipantDatabase(databaseFile, TICKET_MIGRATIONS);
  cleanups.push(() => database.close());
  const store = Object.assign(new TicketStore(database.sql), { db: database.db });
  const client = new OrderServiceClient(transport);
  const createTicket = async (order_id: number, correlationId: string): Promise<number> => {
    await client.createTicket({ order_id, customer_id: 70, items }, { correlationId });
    const [reply] = await recorder.waitFor(correlationId);
    expect(reply!.operation).toBe("onCreateTicketSuccess");
    return (reply!.payload as { ticket_id: number }).ticket_id;
  };
  return { transport, client, recorder, store, service, start, createTicket };
}

/** Replies committed but not yet published. */
const pendingOutbox = (store: { db: SqliteParticipantDatabase["db"] }) =>
  (store.db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n;

/** Commands in the queue, ready or delivered and not yet acked. */
const commandsLeft = (transport: InProcessTransport) => {
  const { ready, unacked } = transport.inspect("restaurant_service.commands");
  return ready + unacked;
};

const deadLettered = (transport: InProcessTransport) =>
  transport.inspect("restaurant_service.commands.dlq").messages;

describe("restaurant-service over the in-process transport", () => {
  it("creates a ticket: success reply with its id, ticket stored in state created", async () => {
    const { client, recorder, store } = await setUp();
    await client.createTicket({ order_id: 11, customer_id: 70, items }, { correlationId: "s-1" });
    const [reply] = await recorder.waitFor("s-1");
    expect(reply).toMatchObject({
      operation: "onCreateTicketSuccess",
      type: "restaurant_service.create_ticket.response.success",
      correlationId: "s-1",
    });
    const { ticket_id } = reply!.payload as { ticket_id: number };
    expect(await store.find(ticket_id)).toEqual({
      id: ticket_id,
      order_id: 11,
      customer_id: 70,
      items,
      state: "created",
    });
  });

  it("a create delivered again after a restart is acked without a second ticket or reply; a resend is answered alike", async () => {
    const { transport, client, recorder, store, service, start } = await setUp();
    await client.createTicket(
      { order_id: 12, customer_id: 70, items },
      { correlationId: "s-2", messageId: "m-12" },
    );
    await recorder.waitFor("s-2");
    await service.stop();
    await start();
    // The same message again (a redelivery after a crash before the ack): recorded in consumed_messages, so acked
    // without running the handler; its reply is already in the outbox.
    await client.createTicket(
      { order_id: 12, customer_id: 70, items },
      { correlationId: "s-2", messageId: "m-12" },
    );
    // and the saga resending it after a deadline (a new message id): answered with the same ticket
    await client.createTicket({ order_id: 12, customer_id: 70, items }, { correlationId: "s-2" });
    const replies = await recorder.waitFor("s-2", 2);
    await waitUntil(
      () => commandsLeft(transport) === 0,
      5000,
      () => "for both commands to be acked",
    );
    await waitUntil(
      () => pendingOutbox(store) === 0,
      5000,
      () => "for the outbox to drain",
    );
    expect(new Set(replies.map((r) => JSON.stringify(r.payload))).size).toBe(1);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM tickets WHERE order_id = 12").get()).toEqual({ n: 1 });
    // One reply per handled command, all sent: nothing is left to answer the duplicate with.
    expect(
      store.db.prepare("SELECT message_id, sent_at IS NOT NULL AS sent FROM outbox ORDER BY id").all(),
    ).toEqual([
      { message_id: "m-12.reply", sent: 1 },
      { message_id: expect.stringMatching(/\.reply$/), sent: 1 },
    ]);
    expect(recorder.forSaga("s-2")).toHaveLength(2);
  });

  it("retries transient approve failures by redelivery until approved: one success reply, no failure", async () => {
    const draws = [0.1, 0.2, 0.9]; // rate 0.3: two transient failures, then success
    let calls = 0;
    const { transport, client, recorder, store, createTicket } = await setUp({
      approveTicketFailureRate: 0.3,
      random: () => (calls++, draws.shift() ?? 0.9),
    });
    const ticket_id = await createTicket(13, "s-3");
    await client.approveTicket({ ticket_id }, { correlationId: "s-3" });
    await recorder.waitFor("s-3", 2);
    // Nothing more can arrive: the command is acked and every reply ever sent is an outbox row, all published.
    await waitUntil(
      () => commandsLeft(transport) === 0 && pendingOutbox(store) === 0,
      5000,
      () => "for the approval to be acked and the outbox to drain",
    );
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM outbox").get()).toEqual({ n: 2 });
    expect(recorder.forSaga("s-3").map((r) => r.operation)).toEqual([
      "onCreateTicketSuccess",
      "onApproveTicketSuccess",
    ]);
    expect(calls).toBe(3);
    expect((await store.find(ticket_id))!.state).toBe("approved");
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM tickets").get()).toEqual({ n: 1 });
  });

  it("dead-letters an approve that keeps failing at the delivery limit, without a failure reply", async () => {
    let calls = 0;
    const { transport, client, recorder, store, createTicket } = await setUp({
      approveTicketFailureRate: 1,
      random: () => (calls++, 0.5),
    });
    const ticket_id = await createTicket(14, "s-4");
    await client.approveTicket({ ticket_id }, { correlationId: "s-4" });
    await waitUntil(() => deadLettered(transport).length === 1, 5_000);
    expect(deadLettered(transport)[0]!.properties).toMatchObject({
      type: "restaurant_service.approve_ticket",
      correlationId: "s-4",
      headers: expect.objectContaining({ "x-error-code": "HANDLER_FAILED" }),
    });
    expect(calls).toBe(5); // the contract's x-delivery-limit
    expect(recorder.forSaga("s-4").map((r) => r.operation)).toEqual(["onCreateTicketSuccess"]);
    expect((await store.find(ticket_id))!.state).toBe("created");
  });

  it("rejects a ticket (confirmed by a reply), then refuses to approve it", async () => {
    const { client, recorder, store, createTicket } = await setUp();
    const ticket_id = await createTicket(15, "s-5");
    await client.rejectTicket({ ticket_id }, { correlationId: "s-5" });
    await client.rejectTicket({ ticket_id }, { correlationId: "s-5" });
    await recorder.waitFor("s-5", 3);
    await client.approveTicket({ ticket_id }, { correlationId: "s-5" });
    const replies = await recorder.waitFor("s-5", 4);
    expect(replies.map((r) => r.operation)).toEqual([
      "onCreateTicketSuccess",
      "onRejectTicketSuccess",
      "onRejectTicketSuccess",
      "onApproveTicketFailure",
    ]);
    expect(replies[1]!).toMatchObject({
      type: "restaurant_service.reject_ticket.response.success",
      payload: null,
    });
    expect(replies[3]!).toMatchObject({
      type: "restaurant_service.approve_ticket.response.failure",
      payload: { type: "TicketStateError", module: "restaurant-service", traceback: [] },
    });
    expect((await store.find(ticket_id))!.state).toBe("rejected");
  });

  it("confirms rejecting an unknown ticket and refuses approving one", async () => {
    const { client, recorder } = await setUp();
    await client.rejectTicket({ ticket_id: 4040 }, { correlationId: "s-6" });
    await recorder.waitFor("s-6");
    await client.approveTicket({ ticket_id: 4040 }, { correlationId: "s-6" });
    const replies = await recorder.waitFor("s-6", 2);
    expect(replies.map((r) => [r.operation, r.payload])).toEqual([
      ["onRejectTicketSuccess", null],
      [
        "onApproveTicketFailure",
        {
          type: "TicketStateError",
          message: "Ticket 4040 does not exist",
          module: "restaurant-service",
          traceback: [],
        },
      ],
    ]);
  });
});
