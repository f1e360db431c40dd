import { local, remote, type SagaDefinition } from "@asyncgen/saga";
import { orderServiceCommands, type TicketRef } from "@saga/generated/order-service";

/** The original's magic quantity: the orchestrator itself fails while creating the ticket. */
export const QUANTITY_THAT_MAKES_ORCHESTRATOR_FAIL = 100500;

export const CREATE_ORDER_SAGA = "create_order_saga";

export type OrderStatus = "pending_validation" | "approved" | "rejected";

export interface OrderItem {
  readonly name: string;
  readonly quantity: number;
}

/** Everything the saga needs between replies; persisted with the saga (the orders table is its projection). */
export interface CreateOrderSagaData {
  readonly consumer_id: number;
  readonly card_id: number;
  readonly price: number;
  readonly items: readonly OrderItem[];
  readonly status: OrderStatus;
  readonly restaurant_ticket_id: number | null;
  readonly transaction_id: number | null;
  /** The client's Idempotency-Key and a hash of its request, stored on the order (idempotent-orders.ts). */
  readonly idempotency?: { readonly key: string; readonly request_hash: string };
}

/** Python's KeyError, as the original orchestrator raised it, so `failure_details.type` reads the same. */
class KeyError extends Error {
  override name = "KeyError";
}

/** The order service's send operations, from its contract: each step below names one. */
const commands = orderServiceCommands;

function ticketOf(data: CreateOrderSagaData): TicketRef {
  if (data.restaurant_ticket_id === null) throw new Error("the saga has no restaurant ticket yet");
  return { ticket_id: data.restaurant_ticket_id };
}

/** The CreateOrderSaga of the original, step for step (saga-reference §1.2), with DESIGN §6's corrections. */
export function createOrderSaga(options: {
  stepDeadlineMs: number;
  maxResends: number;
}): SagaDefinition<CreateOrderSagaData> {
  return {
    type: CREATE_ORDER_SAGA,
    stepDeadlineMs: options.stepDeadlineMs,
    maxResends: options.maxResends,
    module: "order-service",
    steps: [
      {
        // Only a compensation: every failure walks back to here and rejects the order.
        name: "reject_order",
        compensation: local((data) => ({ ...data, status: "rejected" })),
      },
      {
        name: "verify_consumer_details",
        action: remote(commands.verifyConsumerDetails, (data) => ({ consumer_id: data.consumer_id })),
      },
      {
        name: "create_restaurant_ticket",
        action: remote(
          commands.createTicket,
          (data, sagaId) => {
            if (data.items[0]?.quantity === QUANTITY_THAT_MAKES_ORCHESTRATOR_FAIL)
              throw new KeyError("Incorrect quantity");
            return {
              order_id: sagaId,
              customer_id: data.consumer_id,
              items: data.items.map((item) => ({ name: item.name, quantity: item.quantity })),
            };
          },
          { onSuccess: (data, reply) => ({ ...data, restaurant_ticket_id: reply.ticket_id }) },
        ),
        compensation: remote(commands.rejectTicket, ticketOf),
      },
      {
        name: "authorize_card",
        pivot: true,
        action: remote(commands.authorizeCard, (data) => ({ card_id: data.card_id, amount: data.price }), {
          onSuccess: (data, reply) => ({ ...data, transaction_id: reply.transaction_id }),
        }),
      },
      {
        name: "approve_restaurant_ticket",
        action: remote(commands.approveTicket, ticketOf),
      },
      {
        name: "approve_order",
        action: local((data) => ({ ...data, status: "approved" })),
      },
    ],
  };
}
