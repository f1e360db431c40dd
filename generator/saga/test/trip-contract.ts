import type { MessageSpec, ServiceSpec, Validator } from "@asyncgen/runtime";
import type { CommandSpec } from "../src/index.js";

/**
 * A small contract of its own for the package's tests, in the shape asyncgen generates (`<service>Commands`,
 * `<service>Queues`): a travel agency booking a hotel room, a flight seat and a payment, then sending the tickets.
 * Nothing of the CreateOrderSaga. The validators check the fields that matter, as the generated ones would.
 */

/** An object validator requiring integer fields (null for payload-less messages). */
function fields(...required: string[]): Validator {
  const validate: Validator = (data) => {
    const ok =
      required.length === 0
        ? data === null
        : typeof data === "object" &&
          data !== null &&
          required.every((key) => Number.isInteger((data as Record<string, unknown>)[key]));
    validate.errors = ok ? null : [{ instancePath: "", message: `must have integer ${required.join(", ")}` }];
    return ok;
  };
  return validate;
}

function message<T>(name: string, ...required: string[]): MessageSpec<T> {
  return { name, validatePayload: fields(...required) };
}

export interface Refusal {
  readonly reason: string;
}
const refusal = (name: string): MessageSpec<Refusal> => ({
  name,
  validatePayload: ((data: unknown) => typeof (data as Refusal | null)?.reason === "string") as Validator,
});

export const BookRoom = message<{ trip_id: number; nights: number }>("hotel.book_room", "trip_id", "nights");
export const BookRoomSuccess = message<{ reservation_id: number }>(
  "hotel.book_room.response.success",
  "reservation_id",
);
export const BookRoomFailure = refusal("hotel.book_room.response.failure");
export const CancelRoom = message<{ reservation_id: number }>("hotel.cancel_room", "reservation_id");
export const CancelRoomSuccess = message<null>("hotel.cancel_room.response.success");
export const BookSeat = message<{ trip_id: number }>("airline.book_seat", "trip_id");
export const BookSeatSuccess = message<{ seat_id: number }>("airline.book_seat.response.success", "seat_id");
export const BookSeatFailure = refusal("airline.book_seat.response.failure");
export const CancelSeat = message<{ seat_id: number }>("airline.cancel_seat", "seat_id");
export const CancelSeatSuccess = message<null>("airline.cancel_seat.response.success");
export const Charge = message<{ trip_id: number; amount: number }>("bank.charge", "trip_id", "amount");
export const ChargeSuccess = message<{ payment_id: number }>("bank.charge.response.success", "payment_id");
export const ChargeFailure = refusal("bank.charge.response.failure");
export const SendTickets = message<{ trip_id: number }>("mail.send_tickets", "trip_id");
export const SendTicketsSuccess = message<null>("mail.send_tickets.response.success");
export const SendTicketsFailure = refusal("mail.send_tickets.response.failure");

export const REPLY_QUEUE = "trip_saga_responses";
const contractVersion = "1.0.0";
const command = (queue: string) => ({
  route: { exchange: "", routingKey: queue },
  replyTo: REPLY_QUEUE,
  contractVersion,
});

export const travelAgencyCommands = {
  bookRoom: {
    operationId: "bookRoom",
    message: BookRoom,
    ...command("hotel.commands"),
    replies: { success: BookRoomSuccess, failure: BookRoomFailure },
  },
  cancelRoom: {
    operationId: "cancelRoom",
    message: CancelRoom,
    ...command("hotel.commands"),
    replies: { success: CancelRoomSuccess },
  },
  bookSeat: {
    operationId: "bookSeat",
    message: BookSeat,
    ...command("airline.commands"),
    replies: { success: BookSeatSuccess, failure: BookSeatFailure },
  },
  cancelSeat: {
    operationId: "cancelSeat",
    message: CancelSeat,
    ...command("airline.commands"),
    replies: { success: CancelSeatSuccess },
  },
  charge: {
    operationId: "charge",
    message: Charge,
    ...command("bank.commands"),
    replies: { success: ChargeSuccess, failure: ChargeFailure },
  },
  sendTickets: {
    operationId: "sendTickets",
    message: SendTickets,
    ...command("mail.commands"),
    replies: { success: SendTicketsSuccess, failure: SendTicketsFailure },
  },
} as const satisfies Record<string, CommandSpec>;

const queue = (name: string) => ({
  name,
  durable: true,
  arguments: { "x-queue-type": "quorum", "x-delivery-limit": 5 },
});

/** The orchestrator's reply queue, as the generated `<service>Queues`. */
export const travelAgencyQueues: readonly ServiceSpec[] = [
  {
    service: "travel-agency",
    contractVersion,
    queue: queue(REPLY_QUEUE),
    operations: Object.values(travelAgencyCommands).flatMap((c) =>
      Object.values(c.replies).map((reply) => ({ operationId: `on_${reply.name}`, message: reply })),
    ),
  },
];

/** The participants' side: each command queue with its operations, as their generated handlers would declare. */
export function participantQueues(): ServiceSpec[] {
  const byQueue = new Map<string, ServiceSpec["operations"][number][]>();
  for (const spec of Object.values(travelAgencyCommands)) {
    const operations = byQueue.get(spec.route.routingKey) ?? [];
    operations.push({ operationId: spec.operationId, message: spec.message, replies: spec.replies });
    byQueue.set(spec.route.routingKey, operations);
  }
  return [...byQueue].map(([name, operations]) => ({
    service: name.split(".")[0]!,
    contractVersion,
    queue: queue(name),
    operations,
  }));
}
