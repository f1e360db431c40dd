import { silentLogger, type MessageSpec } from "@asyncgen/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SagaEngine, type SagaDatabase, type SagaDefinition } from "../src/index.js";
import { postgresBackend, sqliteBackend } from "./stores.js";
import {
  BookRoomSuccess,
  BookSeatSuccess,
  CancelRoomSuccess,
  CancelSeatSuccess,
  ChargeFailure,
  ChargeSuccess,
  SendTicketsFailure,
  SendTicketsSuccess,
} from "./trip-contract.js";
import {
  bookTripSaga,
  localOnlySaga,
  newTrip,
  payThenMailSaga,
  quoteSaga,
  type TripData,
} from "./trip-sagas.js";

/**
 * The engine on sagas of its own (not the CreateOrderSaga), on each real store: in-memory SQLite and a PostgreSQL
 * database of this file's own. Replies are fed by hand and the clock is the test's, so deadlines are exact.
 */
describe.each([sqliteBackend(), postgresBackend("generic")])(
  "the saga engine on its own sagas ($name)",
  (backend) => {
    let clock = Date.parse("2026-12-01T12:00:00Z");
    let messages = 0;

    beforeAll(() => backend.setUp());
    afterAll(() => backend.tearDown());

    /** An engine on an empty store, and what a test asks of it. */
    async function run(saga: SagaDefinition<TripData>) {
      const store: SagaDatabase<TripData> = await backend.emptyStore<TripData>(saga.type);
      const engine = new SagaEngine(saga, store, silentLogger, () => clock);
      return {
        store,
        engine,
        reply: <T>(id: number, spec: MessageSpec<T>, payload: T, messageId = `m-${++messages}`) =>
          engine.handleReply(id, spec.name, payload, messageId),
        /** Moves the clock past the awaited step's deadline (and its backoff) and lets the engine act. */
        async deadline(id: number) {
          const saga = await store.load(id);
          clock = Math.max(clock, saga!.awaiting!.deadlineAt) + 1;
          expect(await store.overdue(clock, 100)).toContain(id);
          await engine.onDeadline(id);
        },
        statuses: async (id: number) => {
          const [row] = await store.all<{ id: number }>(`SELECT id FROM sagas WHERE id = ?`, [id]);
          expect(row).toBeDefined();
          const history = await store.all<{ status: string }>(
            `SELECT status FROM saga_history WHERE saga_id = ? ORDER BY id`,
            [id],
          );
          return history.map((entry) => entry.status);
        },
        /** The commands in the outbox (wire type and payload), oldest first. */
        commands: async () =>
          (await store.pendingOutbox(100)).map(({ message }) => ({
            type: message.properties.type,
            correlationId: message.properties.correlationId,
            replyTo: message.properties.replyTo,
            payload: JSON.parse(message.body.toString()) as unknown,
          })),
      };
    }

    describe("two compensations (book_trip)", () => {
      it("succeeds when every participant agrees, folding each reply into the data", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        expect(await t.reply(id, BookRoomSuccess, { reservation_id: 11 })).toBe("applied");
        expect(await t.reply(id, BookSeatSuccess, { seat_id: 22 })).toBe("applied");
        expect(await t.reply(id, ChargeSuccess, { payment_id: 33 })).toBe("applied");
        expect(await t.statuses(id)).toEqual([
          "not_started",
          "book_room.running",
          "book_seat.running",
          "charge.running",
          "succeeded",
        ]);
        expect((await t.store.load(id))!.data).toMatchObject({
          reservation_id: 11,
          seat_id: 22,
          payment_id: 33,
        });
        expect(await t.commands()).toEqual([
          {
            type: "hotel.book_room",
            correlationId: String(id),
            replyTo: "trip_saga_responses",
            payload: { trip_id: id, nights: 2 },
          },
          {
            type: "airline.book_seat",
            correlationId: String(id),
            replyTo: "trip_saga_responses",
            payload: { trip_id: id },
          },
          {
            type: "bank.charge",
            correlationId: String(id),
            replyTo: "trip_saga_responses",
            payload: { trip_id: id, amount: 300 },
          },
        ]);
      });

      it("cancels the seat, then the room, each confirmed by its reply, when the charge is refused", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        await t.reply(id, BookRoomSuccess, { reservation_id: 11 });
        await t.reply(id, BookSeatSuccess, { seat_id: 22 });
        await t.reply(id, ChargeFailure, { reason: "insufficient funds" });
        // Waiting for the seat's cancellation: a reply for the room's cancellation now is for another step.
        expect(await t.reply(id, CancelRoomSuccess, null)).toBe("ignored");
        expect(await t.reply(id, CancelSeatSuccess, null)).toBe("applied");
        expect(await t.reply(id, CancelRoomSuccess, null)).toBe("applied");
        expect(await t.statuses(id)).toEqual([
          "not_started",
          "book_room.running",
          "book_seat.running",
          "charge.running",
          "book_seat.compensating",
          "book_seat.compensated",
          "book_room.compensating",
          "book_room.compensated",
          "failed",
        ]);
        const saga = (await t.store.load(id))!;
        expect(saga).toMatchObject({
          failedStep: "charge",
          failureDetails: { reason: "insufficient funds" },
        });
        expect(saga.data.refusal).toBe("insufficient funds"); // onFailure folded the refusal in
        expect((await t.commands()).slice(3).map((c) => [c.type, c.payload])).toEqual([
          ["airline.cancel_seat", { seat_id: 22 }],
          ["hotel.cancel_room", { reservation_id: 11 }],
        ]);
      });

      it("resends an unconfirmed compensation at every deadline, however many, until its reply comes", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        await t.reply(id, BookRoomSuccess, { reservation_id: 11 });
        await t.reply(id, BookSeatSuccess, { seat_id: 22 });
        await t.reply(id, ChargeFailure, { reason: "no" });
        for (let i = 0; i < 4; i++) await t.deadline(id);
        expect((await t.commands()).filter((c) => c.type === "airline.cancel_seat")).toHaveLength(5);
        await t.reply(id, CancelSeatSuccess, null);
        await t.reply(id, CancelRoomSuccess, null);
        expect((await t.store.load(id))!.status).toBe("failed");
      });

      it("changes nothing for a duplicate, a late or a stale reply, or one for a saga it does not know", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        expect(await t.reply(id, BookRoomSuccess, { reservation_id: 11 }, "room-reply")).toBe("applied");
        const before = (await t.store.load(id))!;
        // The same delivery again (a redelivery): recognised by its message id.
        expect(await t.reply(id, BookRoomSuccess, { reservation_id: 11 }, "room-reply")).toBe("duplicate");
        // The same reply with a new id (the participant answered a resend): the saga no longer waits for it.
        expect(await t.reply(id, BookRoomSuccess, { reservation_id: 99 })).toBe("ignored");
        // A reply of a later step, before its command was even sent.
        expect(await t.reply(id, ChargeSuccess, { payment_id: 1 })).toBe("ignored");
        expect(await t.reply(id + 1000, BookSeatSuccess, { seat_id: 1 })).toBe("unknown-saga");
        expect(await t.store.load(id)).toEqual(before);
        await t.reply(id, BookSeatSuccess, { seat_id: 22 });
        await t.reply(id, ChargeSuccess, { payment_id: 33 });
        // After the end, every reply is late.
        expect(await t.reply(id, ChargeFailure, { reason: "late" })).toBe("ignored");
        expect((await t.store.load(id))!).toMatchObject({
          status: "succeeded",
          data: { reservation_id: 11 },
        });
      });

      it("gives up a step before the pivot after its resends, and compensates it when the late reply says it happened", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        await t.reply(id, BookRoomSuccess, { reservation_id: 11 });
        await t.deadline(id); // resend 1 (maxResends: 1)
        await t.deadline(id); // given up: the seat may still be booked, so it keeps asking
        const saga = (await t.store.load(id))!;
        expect(saga).toMatchObject({
          status: "book_seat.compensating",
          failedStep: "book_seat",
          failureDetails: { type: "DeadlineExceeded", module: "book_trip" },
        });
        expect(await t.reply(id, BookSeatSuccess, { seat_id: 22 })).toBe("applied"); // late: it did happen
        await t.reply(id, CancelSeatSuccess, null);
        await t.reply(id, CancelRoomSuccess, null);
        expect((await t.statuses(id)).slice(-5)).toEqual([
          "book_seat.compensating",
          "book_seat.compensated",
          "book_room.compensating",
          "book_room.compensated",
          "failed",
        ]);
        expect((await t.commands()).filter((c) => c.type === "airline.book_seat")).toHaveLength(3);
      });
    });

    describe("a pivot and a retriable step (pay_then_mail)", () => {
      it("retries the step after the pivot on failure replies and deadlines, never compensating, until it succeeds", async () => {
        const t = await run(payThenMailSaga);
        const id = await t.engine.start(newTrip());
        await t.reply(id, BookRoomSuccess, { reservation_id: 11 });
        await t.reply(id, ChargeSuccess, { payment_id: 33 });
        expect(await t.reply(id, SendTicketsFailure, { reason: "mail server down" })).toBe("applied");
        await t.deadline(id); // the retry after the failure's backoff
        await t.deadline(id); // no answer at all: resent again, past maxResends
        await t.deadline(id);
        expect((await t.store.load(id))!.status).toBe("send_tickets.running");
        expect((await t.commands()).filter((c) => c.type === "mail.send_tickets")).toHaveLength(4);
        expect(await t.reply(id, SendTicketsSuccess, null)).toBe("applied");
        const statuses = await t.statuses(id);
        expect(statuses.at(-1)).toBe("succeeded");
        expect(statuses.filter((s) => s.endsWith(".compensating"))).toEqual([]);
        expect((await t.commands()).some((c) => c.type === "hotel.cancel_room")).toBe(false);
      });

      it("resends the pivot until it is answered, since its outcome decides the saga", async () => {
        const t = await run(payThenMailSaga);
        const id = await t.engine.start(newTrip());
        await t.reply(id, BookRoomSuccess, { reservation_id: 11 });
        for (let i = 0; i < 4; i++) await t.deadline(id);
        expect((await t.store.load(id))!.status).toBe("charge.running");
        expect(await t.reply(id, ChargeFailure, { reason: "declined" })).toBe("applied");
        await t.reply(id, CancelRoomSuccess, null);
        expect((await t.store.load(id))!).toMatchObject({ status: "failed", failedStep: "charge" });
      });

      it("fails a step without compensation at its deadline once its resends are spent, and compensates", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        await t.reply(id, BookRoomSuccess, { reservation_id: 11 });
        await t.reply(id, BookSeatSuccess, { seat_id: 22 });
        await t.deadline(id); // the charge resent once (maxResends: 1)
        await t.deadline(id); // then given up: nothing to undo for a step without compensation
        expect((await t.store.load(id))!).toMatchObject({
          status: "book_seat.compensating",
          failedStep: "charge",
          failureDetails: { type: "DeadlineExceeded", message: "no reply to charge after 2 attempt(s)" },
        });
        // The charge's reply arriving now is stale: the saga waits for the seat's cancellation.
        expect(await t.reply(id, ChargeSuccess, { payment_id: 1 })).toBe("ignored");
      });
    });

    describe("local steps (quote_trip, local_only)", () => {
      it("runs local actions in the same transition as the command that follows them", async () => {
        const t = await run(quoteSaga);
        const id = await t.engine.start(newTrip({ nights: 3 }));
        expect((await t.store.load(id))!).toMatchObject({
          status: "book_seat.running",
          data: { amount: 300 },
        });
        await t.reply(id, BookSeatSuccess, { seat_id: 22 });
        expect(await t.statuses(id)).toEqual([
          "not_started",
          "quote.running",
          "book_seat.running",
          "check_budget.running",
          "succeeded",
        ]);
      });

      it("compensates the remote step and then the local one when a local step throws", async () => {
        const t = await run(quoteSaga);
        const id = await t.engine.start(newTrip({ nights: 6 }));
        await t.reply(id, BookSeatSuccess, { seat_id: 22 });
        expect((await t.store.load(id))!).toMatchObject({
          status: "book_seat.compensating",
          failedStep: "check_budget",
          failureDetails: {
            type: "OverBudget",
            message: "600 is over the budget of 500",
            module: "quote_trip",
          },
        });
        await t.reply(id, CancelSeatSuccess, null);
        expect((await t.store.load(id))!).toMatchObject({ status: "failed", data: { amount: 0 } });
        expect((await t.statuses(id)).slice(-4)).toEqual([
          "book_seat.compensated",
          "quote.compensating",
          "quote.compensated",
          "failed",
        ]);
      });

      it("finishes a saga of local steps inside start(), sending nothing", async () => {
        const t = await run(localOnlySaga);
        const id = await t.engine.start(newTrip({ nights: 4 }));
        expect((await t.store.load(id))!).toMatchObject({
          status: "succeeded",
          awaiting: null,
          data: { amount: 400 },
        });
        expect(await t.commands()).toEqual([]);
      });
    });

    describe("the outbox", () => {
      it("parks a row with its reason: kept unsent, no longer pending", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip());
        const [row] = await t.store.pendingOutbox(10);
        await t.store.park(row!.id, "AMQP_UNROUTABLE: no queue (refused 12 times)");
        expect(await t.store.pendingOutbox(10)).toEqual([]);
        expect(
          await t.store.all(
            `SELECT correlation_id, sent_at, park_reason FROM outbox WHERE parked_at IS NOT NULL`,
          ),
        ).toEqual([
          {
            correlation_id: String(id),
            sent_at: null,
            park_reason: "AMQP_UNROUTABLE: no queue (refused 12 times)",
          },
        ]);
      });
    });

    describe("commands are built and validated when the transition commits", () => {
      it("fails the step with MSG_INVALID_PAYLOAD's message when the contract refuses the payload: nothing reaches the outbox", async () => {
        const t = await run(bookTripSaga);
        const id = await t.engine.start(newTrip({ nights: 1.5 })); // nights must be an integer
        expect((await t.store.load(id))!).toMatchObject({
          status: "failed",
          failedStep: "book_room",
          failureDetails: {
            type: "MessageValidationError",
            message: "hotel.book_room: / must have integer trip_id, nights",
          },
        });
        expect(await t.commands()).toEqual([]);
      });
    });
  },
);
