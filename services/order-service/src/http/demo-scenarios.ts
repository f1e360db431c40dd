import type { OrderItem } from "../create-order-saga/definition.js";

/** A new order as POST /orders takes it. */
export interface NewOrder {
  readonly consumer_id: number;
  readonly card_id: number;
  readonly price: number;
  readonly items: readonly OrderItem[];
}

const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

/** Two dishes with 1-5 portions each, new for every order (the original reused one pair of rows). */
const defaultItems = (): OrderItem[] => [
  { name: "Dish 1", quantity: randomInt(1, 5) },
  { name: "Dish 2", quantity: randomInt(1, 5) },
];

/** The original demo's one-click scenarios and their magic numbers (saga-reference §4.4). */
export const DEMO_SCENARIOS: Record<string, { readonly title: string; readonly order: () => NewOrder }> = {
  success: {
    title: "Order that succeeds",
    order: () => ({ consumer_id: 70, price: 20, card_id: randomInt(1, 5), items: defaultItems() }),
  },
  "consumer-verification-fails": {
    title: "Consumer verification fails (consumer id 10)",
    order: () => ({ consumer_id: 10, price: 20, card_id: randomInt(1, 5), items: defaultItems() }),
  },
  "orchestrator-fails": {
    title: "Orchestrator code fails (quantity 100500)",
    order: () => ({
      consumer_id: 70,
      price: 20,
      card_id: randomInt(1, 5),
      items: [{ name: "Dish 1", quantity: 100500 }],
    }),
  },
  "card-authorization-fails": {
    title: "Card authorization fails (price 80)",
    order: () => ({ consumer_id: 70, price: 80, card_id: randomInt(1, 5), items: defaultItems() }),
  },
  random: {
    title: "Random order",
    order: () => ({
      consumer_id: randomInt(1, 100),
      price: randomInt(1, 100),
      card_id: randomInt(1, 5),
      items: defaultItems(),
    }),
  },
};
