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
