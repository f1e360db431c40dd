import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RestaurantServiceHandlers } from "@saga/generated/restaurant-service";
import { fakeContext, SqliteParticipantDatabase } from "@saga/service-kit";
import { restaurantHandlers, TransientError, type RestaurantRules } from "../src/handlers.js";
import { TICKET_MIGRATIONS, TicketStore } from "../src/store.js";
import { recordingLogger } from "@saga/service-kit/testing";

const items = [
  { name: "Dish 1", quantity: 2 },
  { name: "Dish 2", quantity: 1 },
];
const neverFails = () => 0.999_999; // random() >= any rate below 1: approval does not fail
const alwaysFails = () => 0;

/** The restaurant's tables in a SQLite file (or `:memory:`), and its store over them. */
function openTickets(file = ":memory:") {
  const database = new SqliteParticipantDatabase(file, TICKET_MIGRATIONS);
  return { database, db: database.db, store: new TicketStore(database.sql) };
}

function setUp(rules: Partial<RestaurantRules> = {}) {
  const { store, db } = openTickets();
  const handlers = restaurantHandlers(store, { approveTicketFailureRate: 0.3, random: neverFails, ...rules });
  const count = (where = "1 = 1") =>
    (db.prepare(`SELECT COUNT(*) AS n FROM tickets WHERE ${where}`).get() as { n: number }).n;
  return { store, db, handlers, count };
}

async function createTicket(handlers: RestaurantServiceHandlers, order_id = 1): Promise<number> {
  const outcome = await handlers.createTicket(
    { order_id, customer_id: 70, items },
    fakeContext({ correlationId: String(order_id) }),
  );
  if (!outcome.ok) throw new Error(`createTicket refused: ${outcome.reply.message}`);
  return outcome.reply.ticket_id;
}

describe("restaurant-service: createTicket", () => {
  it("creates a ticket in state created with the order's data and returns its id", async () => {
    const { store, db, handlers } = setUp();
    const outcome = await handlers.createTicket({ order_id: 7, customer_id: 70, items }, fakeContext());
    expect(outcome.ok).toBe(true);
    const ticket_id = (outcome.reply as { ticket_id: number }).ticket_id;
    expect(Number.isInteger(ticket_id)).toBe(true);
    expect(await store.find(ticket_id)).toEqual({
      id: ticket_id,
      order_id: 7,
      customer_id: 70,
      items,
      state: "created",
    });
    const row = db.prepare("SELECT items, created_at, updated_at FROM tickets").get() as Record<
      string,
      string
    >;
    expect(JSON.parse(row.items!)).toEqual(items);
    expect(Date.parse(row.created_at!)).not.toBeNaN();
    expect(row.updated_at).toBe(row.created_at);
  });

  it("returns the same ticket when the command for the same order arrives again (redelivery)", async () => {
    const { handlers, count } = setUp();
    const first = await handlers.createTicket({ order_id: 1, customer_id: 70, items }, fakeContext());
    const again = await handlers.createTicket(
      { order_id: 1, customer_id: 70, items },
      fakeContext({ deliveryCount: 2 }),
    );
    expect(again).toEqual(first);
    expect(count()).toBe(1);
  });

  it("gives each order its own ticket", async () => {
    const { handlers, count } = setUp();
    const a = await createTicket(handlers, 1);
    const b = await createTicket(handlers, 2);
    expect(a).not.toBe(b);
    expect(count()).toBe(2);
  });

  it("logs the saga and the operation", async () => {
    const { handlers } = setUp();
    const logger = recordingLogger();
    await handlers.createTicket(
      { order_id: 3, customer_id: 70, items },
      fakeContext({ correlationId: "42", logger }),
    );
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "info",
        fields: expect.objectContaining({ saga: "42", operation: "createTicket", order_id: 3 }),
      }),
    );
  });
});

describe("restaurant-service: rejectTicket", () => {
  it("rejects a created ticket, and rejecting it again is still success", async () => {
    const { store, handlers } = setUp();
    const ticket_id = await createTicket(handlers);
    expect(await handlers.rejectTicket({ ticket_id }, fakeContext())).toEqual({ ok: true, reply: null });
    expect(await handlers.rejectTicket({ ticket_id }, fakeContext({ deliveryCount: 2 }))).toEqual({
      ok: true,
      reply: null,
    });
    expect((await store.find(ticket_id))!.state).toBe("rejected");
  });

  it("confirms the rejection of an unknown ticket (compensation must finish) and logs a warning", async () => {
    const { handlers, count } = setUp();
    const logger = recordingLogger();
    const outcome = await handlers.rejectTicket(
      { ticket_id: 404 },
      fakeContext({ correlationId: "9", logger }),
    );
    expect(outcome).toEqual({ ok: true, reply: null });
    expect(count()).toBe(0);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        fields: expect.objectContaining({ saga: "9", operation: "rejectTicket", ticket_id: 404 }),
      }),
    );
  });

  it("leaves an approved ticket approved (approval comes after the pivot) and warns", async () => {
    const { store, handlers } = setUp();
    const ticket_id = await createTicket(handlers);
    await handlers.approveTicket({ ticket_id }, fakeContext());
    const logger = recordingLogger();
    expect(await handlers.rejectTicket({ ticket_id }, fakeContext({ logger }))).toEqual({
      ok: true,
      reply: null,
    });
    expect((await store.find(ticket_id))!.state).toBe("approved");
    expect(logger.entries.map((e) => e.level)).toContain("warn");
  });
});

describe("restaurant-service: approveTicket", () => {
  it("approves a created ticket; approving it again is success (idempotent)", async () => {
    const { store, handlers } = setUp();
    const ticket_id = await createTicket(handlers);
    const logger = recordingLogger();
    expect(await handlers.approveTicket({ ticket_id }, fakeContext({ correlationId: "1", logger }))).toEqual({
      ok: true,
      reply: null,
    });
    expect(await handlers.approveTicket({ ticket_id }, fakeContext({ deliveryCount: 2 }))).toEqual({
      ok: true,
      reply: null,
    });
    expect((await store.find(ticket_id))!.state).toBe("approved");
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ fields: expect.objectContaining({ saga: "1", operation: "approveTicket" }) }),
    );
  });

  it("fails transiently by throwing (the runtime redelivers), never with a failure reply", async () => {
    const { store, handlers } = setUp({ random: alwaysFails });
    const ticket_id = await createTicket(handlers);
    const logger = recordingLogger();
    const attempt = handlers.approveTicket({ ticket_id }, fakeContext({ correlationId: "1", logger }));
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toThrow("test error message. Task will retry now");
    expect((await store.find(ticket_id))!.state).toBe("created");
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        fields: expect.objectContaining({ saga: "1", operation: "approveTicket", attempt: 1 }),
      }),
    );
  });

  it("succeeds on the redelivery after a transient failure", async () => {
    const draws = [0.1, 0.5]; // 0.1 < 0.3 fails, 0.5 does not
    const { store, handlers } = setUp({ random: () => draws.shift()! });
    const ticket_id = await createTicket(handlers);
    await expect(handlers.approveTicket({ ticket_id }, fakeContext())).rejects.toBeInstanceOf(TransientError);
    expect(await handlers.approveTicket({ ticket_id }, fakeContext({ deliveryCount: 2 }))).toEqual({
      ok: true,
      reply: null,
    });
    expect((await store.find(ticket_id))!.state).toBe("approved");
    expect(draws).toEqual([]);
  });

  it("fails with the configured probability: random() below the rate fails, at or above it succeeds", async () => {
    for (const [draw, fails] of [
      [0.299, true],
      [0.3, false],
    ] as const) {
      const { handlers } = setUp({ approveTicketFailureRate: 0.3, random: () => draw });
      const ticket_id = await createTicket(handlers);
      const attempt = handlers.approveTicket({ ticket_id }, fakeContext());
      if (fails) await expect(attempt).rejects.toBeInstanceOf(TransientError);
      else await expect(attempt).resolves.toEqual({ ok: true, reply: null });
    }
  });

  it("does not fail transiently when approving an already approved ticket", async () => {
    const draws = [0.9, 0];
    const { handlers } = setUp({ random: () => draws.shift()! });
    const ticket_id = await createTicket(handlers);
    await handlers.approveTicket({ ticket_id }, fakeContext());
    expect(await handlers.approveTicket({ ticket_id }, fakeContext())).toEqual({ ok: true, reply: null });
  });

  it("refuses an unknown ticket with a TicketStateError failure reply", async () => {
    const { handlers } = setUp();
    expect(await handlers.approveTicket({ ticket_id: 99 }, fakeContext())).toEqual({
      ok: false,
      reply: {
        type: "TicketStateError",
        message: "Ticket 99 does not exist",
        module: "restaurant-service",
        traceback: [],
      },
    });
  });

  it("refuses a rejected ticket with a TicketStateError failure reply and leaves it rejected", async () => {
    const { store, handlers } = setUp();
    const ticket_id = await createTicket(handlers);
    await handlers.rejectTicket({ ticket_id }, fakeContext());
    expect(await handlers.approveTicket({ ticket_id }, fakeContext())).toMatchObject({
      ok: false,
      reply: { type: "TicketStateError", message: `Ticket ${ticket_id} is rejected` },
    });
    expect((await store.find(ticket_id))!.state).toBe("rejected");
  });

  it("uses Math.random when no random function is given", async () => {
    const { store } = openTickets();
    const never = restaurantHandlers(store, { approveTicketFailureRate: 0 });
    const always = restaurantHandlers(store, { approveTicketFailureRate: 1 });
    const ticket_id = await createTicket(never);
    await expect(always.approveTicket({ ticket_id }, fakeContext())).rejects.toBeInstanceOf(TransientError);
    expect(await never.approveTicket({ ticket_id }, fakeContext())).toEqual({ ok: true, reply: null });
  });

  it("rejects a failure rate outside 0..1 at start", () => {
    const { store } = openTickets();
    for (const rate of [-0.1, 1.5, Number.NaN]) {
      expect(() => restaurantHandlers(store, { approveTicketFailureRate: rate })).toThrow(RangeError);
    }
  });
});

describe("restaurant-service: store", () => {
  it("keeps its tickets in a file across restarts (schema migrated once)", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "restaurant-store-")), "nested", "tickets.sqlite");
    const first = openTickets(file);
    const { ticket } = await first.store.create(5, 70, items);
    await first.database.close();
    const second = openTickets(file);
    expect(await second.store.create(5, 70, items)).toEqual({ ticket, created: false });
    expect(second.db.pragma("user_version", { simple: true })).toBe(4); // tickets, the outbox, parking, retention indexes
    await second.database.close();
  });
});
