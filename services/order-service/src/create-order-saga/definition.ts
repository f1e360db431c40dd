import {
  ApproveTicketFailure,
  ApproveTicketSuccess,
  AuthorizeCardFailure,
  AuthorizeCardSuccess,
  CreateTicketFailure,
  CreateTicketSuccess,
  RejectTicketSuccess,
  VerifyConsumerDetailsFailure,
  VerifyConsumerDetailsSuccess,
  type AuthorizeCardPayload,
  type AuthorizeCardResponse,
  type CreateTicketPayload,
  type CreateTicketResponse,
  type OrderServiceClient,
  type TicketRef,
  type VerifyConsumerDetailsPayload,
} from "@saga/generated/order-service";
import type { CommandToSend, SagaDefinition } from "../saga-engine/definition.js";

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
}

/** Python's KeyError, as the original orchestrator raised it, so `failure_details.type` reads the same. */
class KeyError extends Error {
  override name = "KeyError";
}

/** A command for one of the generated client's operations, type-checked against its payload. */
function command<Op extends keyof OrderServiceClient>(
  operation: Op,
  payload: Parameters<OrderServiceClient[Op]>[0],
): CommandToSend {
  return { operation, payload };
}

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
    steps: [
      {
        // Only a compensation: every failure walks back to here and rejects the order.
        name: "reject_order",
        compensation: { kind: "local", run: (data) => ({ ...data, status: "rejected" }) },
      },
      {
        name: "verify_consumer_details",
        action: {
          kind: "remote",
          command: (data) =>
            command("verifyConsumerDetails", {
              consumer_id: data.consumer_id,
            } satisfies VerifyConsumerDetailsPayload),
          replies: { success: VerifyConsumerDetailsSuccess.name, failure: VerifyConsumerDetailsFailure.name },
        },
      },
      {
        name: "create_restaurant_ticket",
        action: {
          kind: "remote",
          command: (data, sagaId) => {
            if (data.items[0]?.quantity === QUANTITY_THAT_MAKES_ORCHESTRATOR_FAIL)
              throw new KeyError("Incorrect quantity");
            return command("createTicket", {
              order_id: sagaId,
              customer_id: data.consumer_id,
              items: data.items.map((item) => ({ name: item.name, quantity: item.quantity })),
            } satisfies CreateTicketPayload);
          },
          replies: { success: CreateTicketSuccess.name, failure: CreateTicketFailure.name },
          onSuccess: (data, reply) => ({
            ...data,
            restaurant_ticket_id: (reply as CreateTicketResponse).ticket_id,
          }),
        },
        compensation: {
          kind: "remote",
          command: (data) => command("rejectTicket", ticketOf(data)),
          replies: { success: RejectTicketSuccess.name },
        },
      },
      {
        name: "authorize_card",
        pivot: true,
        action: {
          kind: "remote",
          command: (data) =>
            command("authorizeCard", {
              card_id: data.card_id,
              amount: data.price,
            } satisfies AuthorizeCardPayload),
          replies: { success: AuthorizeCardSuccess.name, failure: AuthorizeCardFailure.name },
          onSuccess: (data, reply) => ({
            ...data,
            transaction_id: (reply as AuthorizeCardResponse).transaction_id,
          }),
        },
      },
      {
        name: "approve_restaurant_ticket",
        action: {
          kind: "remote",
          command: (data) => command("approveTicket", ticketOf(data)),
          replies: { success: ApproveTicketSuccess.name, failure: ApproveTicketFailure.name },
        },
      },
      {
        name: "approve_order",
        action: { kind: "local", run: (data) => ({ ...data, status: "approved" }) },
      },
    ],
  };
}
