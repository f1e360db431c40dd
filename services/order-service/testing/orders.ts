import type { CreateOrderSagaData } from "../src/create-order-saga/definition.js";

/** A new CreateOrderSaga's data as the HTTP API starts it: by default the order that succeeds. */
export function newOrder(overrides: Partial<CreateOrderSagaData> = {}): CreateOrderSagaData {
  return {
    consumer_id: 70,
    card_id: 3,
    price: 20,
    items: [{ name: "Dish 1", quantity: 2 }],
    status: "pending_validation",
    restaurant_ticket_id: null,
    transaction_id: null,
    ...overrides,
  };
}

/** The status sequence of each demo scenario's saga, as the original writes it (transitions only). */
export const EXPECTED_STATUSES = {
  succeeded: [
    "not_started",
    "reject_order.running",
    "verify_consumer_details.running",
    "create_restaurant_ticket.running",
    "authorize_card.running",
    "approve_restaurant_ticket.running",
    "approve_order.running",
    "succeeded",
  ],
  consumerRefused: [
    "not_started",
    "reject_order.running",
    "verify_consumer_details.running",
    "reject_order.compensating",
    "reject_order.compensated",
    "failed",
  ],
  cardDeclined: [
    "not_started",
    "reject_order.running",
    "verify_consumer_details.running",
    "create_restaurant_ticket.running",
    "authorize_card.running",
    "create_restaurant_ticket.compensating",
    "create_restaurant_ticket.compensated",
    "verify_consumer_details.compensating",
    "verify_consumer_details.compensated",
    "reject_order.compensating",
    "reject_order.compensated",
    "failed",
  ],
} as const;
