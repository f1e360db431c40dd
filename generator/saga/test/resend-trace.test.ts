import { childTrace, parseTraceparent, silentLogger, withTrace, type TraceContext } from "@asyncgen/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SagaEngine, type SagaDatabase } from "../src/index.js";
import { postgresBackend, sqliteBackend } from "./stores.js";
import { BookRoomSuccess, ChargeFailure, BookSeatSuccess } from "./trip-contract.js";
import { bookTripSaga, newTrip, type TripData } from "./trip-sagas.js";

/**
 * A command resent at its deadline continues the trace its first send was in (kept with the saga's wait, in the
 * store), instead of going out with no trace or a new one: on each real store, the deadline handled with no trace
 * current, as the poller runs it.
 */
describe.each([sqliteBackend(), postgresBackend("resend_trace")])(
  "deadline resends continue the saga's trace ($name)",
  (backend) => {
    let clock = Date.parse("2026-12-01T12:00:00Z");
    beforeAll(() => backend.setUp());
    afterAll(() => backend.tearDown());

    async function run() {
      const store: SagaDatabase<TripData> = await backend.emptyStore<TripData>(bookTripSaga.type);
      const engine = new SagaEngine(bookTripSaga, store, silentLogger, () => clock);
      /** Each outbox message's type and trace context, oldest first. */
      const sent = async () =>
        (await store.pendingOutbox(100)).map(({ message }) => ({
          type: message.properties.type,
          trace: parseTraceparent(message.properties.headers.traceparent),
        }));
      const deadline = async (id: number) => {
        clock = (await store.load(id))!.awaiting!.deadlineAt + 1;
        await engine.onDeadline(id); // outside any trace, as the deadline poller calls it
      };
      return { store, engine, sent, deadline };
    }

    it("resends the first command in the trace the saga started in, as a new hop", async () => {
      const t = await run();
      const root = childTrace();
      const id = await withTrace(root, () => t.engine.start(newTrip()));
      expect((await t.store.load(id))!.awaiting!.traceparent).toBe(root.traceparent);
      await t.deadline(id);
      await t.deadline(id);
      const sent = await t.sent();
      expect(sent.map((m) => m.type)).toEqual(["hotel.book_room", "hotel.book_room", "hotel.book_room"]);
      expect(sent.map((m) => m.trace?.traceId)).toEqual([root.traceId, root.traceId, root.traceId]);
      expect(new Set(sent.map((m) => m.trace?.spanId)).size).toBe(3);
    });

    it("resends a later step's command and a compensation in the trace of the reply that caused them", async () => {
      const t = await run();
      const id = await withTrace(childTrace(), () => t.engine.start(newTrip()));
      const handling: TraceContext = childTrace(childTrace()); // the hop of a reply being handled
      await withTrace(handling, () =>
        t.engine.handleReply(id, BookRoomSuccess.name, { reservation_id: 1 }, "r1"),
      );
      await t.deadline(id);
      const seats = (await t.sent()).filter((m) => m.type === "airline.book_seat");
      expect(seats.map((m) => m.trace?.traceId)).toEqual([handling.traceId, handling.traceId]);

      const refusal = childTrace(handling);
      await withTrace(childTrace(), () =>
        t.engine.handleReply(id, BookSeatSuccess.name, { seat_id: 2 }, "r2"),
      );
      await withTrace(refusal, () => t.engine.handleReply(id, ChargeFailure.name, { reason: "no" }, "r3"));
      await t.deadline(id);
      const cancels = (await t.sent()).filter((m) => m.type === "airline.cancel_seat");
      expect(cancels.map((m) => m.trace?.traceId)).toEqual([refusal.traceId, refusal.traceId]);
    });

    it("resends a command first sent outside any trace without one, as before", async () => {
      const t = await run();
      const id = await t.engine.start(newTrip());
      expect((await t.store.load(id))!.awaiting!.traceparent).toBeUndefined();
      await t.deadline(id);
      expect((await t.sent()).map((m) => m.trace)).toEqual([undefined, undefined]);
    });
  },
);
