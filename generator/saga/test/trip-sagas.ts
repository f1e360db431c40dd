import { local, remote, type SagaDefinition } from "../src/index.js";
import { travelAgencyCommands as commands } from "./trip-contract.js";

/** Three sagas that are not the CreateOrderSaga, each exercising another shape of the engine. */

export interface TripData {
  readonly nights: number;
  readonly amount: number;
  readonly reservation_id: number | null;
  readonly seat_id: number | null;
  readonly payment_id: number | null;
  readonly refusal: string | null;
}

export const newTrip = (overrides: Partial<TripData> = {}): TripData => ({
  nights: 2,
  amount: 300,
  reservation_id: null,
  seat_id: null,
  payment_id: null,
  refusal: null,
  ...overrides,
});

const timing = { stepDeadlineMs: 1000, maxResends: 1 };

/**
 * Two compensations: a room and a seat are booked, then the charge decides; a refused charge cancels the seat, then
 * the room, each confirmed by its reply.
 */
export const bookTripSaga: SagaDefinition<TripData> = {
  type: "book_trip",
  ...timing,
  steps: [
    {
      name: "book_room",
      action: remote(commands.bookRoom, (data, tripId) => ({ trip_id: tripId, nights: data.nights }), {
        onSuccess: (data, reply) => ({ ...data, reservation_id: reply.reservation_id }),
        onFailure: (data, reply) => ({ ...data, refusal: reply.reason }),
      }),
      compensation: remote(commands.cancelRoom, (data) => ({ reservation_id: data.reservation_id ?? -1 })),
    },
    {
      name: "book_seat",
      action: remote(commands.bookSeat, (_, tripId) => ({ trip_id: tripId }), {
        onSuccess: (data, reply) => ({ ...data, seat_id: reply.seat_id }),
      }),
      compensation: remote(commands.cancelSeat, (data) => ({ seat_id: data.seat_id ?? -1 })),
    },
    {
      name: "charge",
      action: remote(commands.charge, (data, tripId) => ({ trip_id: tripId, amount: data.amount }), {
        onSuccess: (data, reply) => ({ ...data, payment_id: reply.payment_id }),
        onFailure: (data, reply) => ({ ...data, refusal: reply.reason }),
      }),
    },
  ],
};

/**
 * A pivot and a retriable step: once the card is charged nothing is undone, so sending the tickets is retried
 * (failure replies and deadlines alike) until it succeeds. The room before the pivot is compensable.
 */
export const payThenMailSaga: SagaDefinition<TripData> = {
  type: "pay_then_mail",
  ...timing,
  steps: [
    {
      name: "book_room",
      action: remote(commands.bookRoom, (data, tripId) => ({ trip_id: tripId, nights: data.nights }), {
        onSuccess: (data, reply) => ({ ...data, reservation_id: reply.reservation_id }),
      }),
      compensation: remote(commands.cancelRoom, (data) => ({ reservation_id: data.reservation_id ?? -1 })),
    },
    {
      name: "charge",
      pivot: true,
      action: remote(commands.charge, (data, tripId) => ({ trip_id: tripId, amount: data.amount }), {
        onSuccess: (data, reply) => ({ ...data, payment_id: reply.payment_id }),
      }),
    },
    { name: "send_tickets", action: remote(commands.sendTickets, (_, tripId) => ({ trip_id: tripId })) },
  ],
};

/** Thrown by the local step of quoteSaga when the quote is over budget: an orchestrator-side fault. */
export class OverBudget extends Error {
  override name = "OverBudget";
}

/**
 * Local steps: the price is computed in the orchestrator (a local action with a local compensation), the seat is
 * booked, and a local check after it may fail, which compensates the seat and then the quote.
 */
export const quoteSaga: SagaDefinition<TripData> = {
  type: "quote_trip",
  ...timing,
  steps: [
    {
      name: "quote",
      action: local((data) => ({ ...data, amount: data.nights * 100 })),
      compensation: local((data) => ({ ...data, amount: 0 })),
    },
    {
      name: "book_seat",
      action: remote(commands.bookSeat, (_, tripId) => ({ trip_id: tripId }), {
        onSuccess: (data, reply) => ({ ...data, seat_id: reply.seat_id }),
      }),
      compensation: remote(commands.cancelSeat, (data) => ({ seat_id: data.seat_id ?? -1 })),
    },
    {
      name: "check_budget",
      action: local((data) => {
        if (data.amount > 500) throw new OverBudget(`${data.amount} is over the budget of 500`);
        return data;
      }),
    },
  ],
};

/** Only local steps: it runs to its end inside start(), without a message. */
export const localOnlySaga: SagaDefinition<TripData> = {
  type: "local_only",
  ...timing,
  steps: [{ name: "quote", action: local((data) => ({ ...data, amount: data.nights * 100 })) }],
};
