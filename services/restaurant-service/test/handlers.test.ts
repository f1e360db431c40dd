import { describe, expect, it } from "vitest";
import { fakeContext } from "@saga/service-kit";
import { restaurantHandlers } from "../src/handlers.js";
import { TicketStore } from "../src/store.js";

const items = [{ name: "Dish 1", quantity: 2 }];
const never = () => 1; // random() >= any rate: approval never fails
const always = () => 0;

describe("restaurant-service handlers", () => {
  it("creates one ticket per order, however often the command arrives", async () => {
    const store = new TicketStore(":memory:");
    const handlers = restaurantHandlers(store, { approveTicketFailureRate: 0.3, random: never });
    const first = await handlers.createTicket({ order_id: 1, customer_id: 70, items }, fakeContext());
    const again = await handlers.createTicket(
      { order_id: 1, customer_id: 70, items },
      fakeContext({ deliveryCount: 2 }),
    );
    expect(first).toEqual(again);
    expect(store.db.prepare("SELECT COUNT(*) AS n, state FROM tickets").get()).toEqual({
      n: 1,
      state: "created",
    });
  });

  it("approves a created ticket, idempotently", async () => {
    const store = new TicketStore(":memory:");
    const handlers = restaurantHandlers(store, { approveTicketFailureRate: 0.3, random: never });
    const created = await handlers.createTicket({ order_id: 1, customer_id: 70, items }, fakeContext());
    const ticket_id = (created.reply as { ticket_id: number }).ticket_id;
    expect(await handlers.approveTicket({ ticket_id }, fakeContext())).toEqual({ ok: true, reply: null });
    expect(await handlers.approveTicket({ ticket_id }, fakeContext())).toEqual({ ok: true, reply: null });
    expect(store.find(ticket_id)!.state).toBe("approved");
  });

  it("fails approval transiently by throwing (retried by the runtime), never with a failure reply", async () => {
    const store = new TicketStore(":memory:");
    const handlers = restaurantHandlers(store, { approveTicketFailureRate: 0.3, random: always });
    const { reply } = await handlers.createTicket({ order_id: 1, customer_id: 70, items }, fakeContext());
    await expect(handlers.approveTicket(reply as { ticket_id: number }, fakeContext())).rejects.toMatchObject(
      { name: "TransientError" },
    );
    expect(store.find((reply as { ticket_id: number }).ticket_id)!.state).toBe("created");
  });

  it("refuses to approve an unknown or rejected ticket", async () => {
    const store = new TicketStore(":memory:");
    const handlers = restaurantHandlers(store, { approveTicketFailureRate: 0, random: never });
    expect((await handlers.approveTicket({ ticket_id: 99 }, fakeContext())).ok).toBe(false);
    const { reply } = await handlers.createTicket({ order_id: 1, customer_id: 70, items }, fakeContext());
    await handlers.rejectTicket(reply as { ticket_id: number }, fakeContext());
    const outcome = await handlers.approveTicket(reply as { ticket_id: number }, fakeContext());
    expect(outcome).toMatchObject({ ok: false, reply: { type: "TicketStateError" } });
  });

  it("rejects tickets idempotently and always confirms the compensation", async () => {
    const store = new TicketStore(":memory:");
    const handlers = restaurantHandlers(store, { approveTicketFailureRate: 0, random: never });
    const { reply } = await handlers.createTicket({ order_id: 1, customer_id: 70, items }, fakeContext());
    const ticket = reply as { ticket_id: number };
    expect(await handlers.rejectTicket(ticket, fakeContext())).toEqual({ ok: true, reply: null });
    expect(await handlers.rejectTicket(ticket, fakeContext())).toEqual({ ok: true, reply: null });
    expect(await handlers.rejectTicket({ ticket_id: 404 }, fakeContext())).toEqual({ ok: true, reply: null });
    expect(store.find(ticket.ticket_id)!.state).toBe("rejected");
  });
});
