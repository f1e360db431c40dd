import { expect } from "vitest";
import type { SagaView } from "../src/create-order-saga/order-store.js";
import { EXPECTED_STATUSES } from "./orders.js";
import { ServiceDatabases } from "./service-databases.js";
import { waitFor } from "./system-under-test.js";

/** What several order-service instances are checked by: orders placed over HTTP, then each saga's outcome. */

/** The demo scenarios, the status sequence each must show (transitions only) and the participants' effects. */
export const SCENARIOS = [
  {
    order: { consumer_id: 70, price: 20 },
    end: "succeeded",
    statuses: EXPECTED_STATUSES.succeeded,
    ticket: "approved",
    authorized: true,
  },
  {
    order: { consumer_id: 10, price: 20 },
    end: "failed",
    statuses: EXPECTED_STATUSES.consumerRefused,
    ticket: undefined,
    authorized: false,
  },
  {
    order: { consumer_id: 70, price: 80 },
    end: "failed",
    statuses: EXPECTED_STATUSES.cardDeclined,
    ticket: "rejected",
    authorized: false,
  },
] as const;

export type Scenario = (typeof SCENARIOS)[number];

/** Places `count` orders, cycling through the scenarios and the instances' HTTP APIs, all at once. */
export async function placeOrders(
  urls: readonly string[],
  count: number,
): Promise<{ id: number; scenario: Scenario }[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const scenario = SCENARIOS[index % SCENARIOS.length]!;
      const response = await fetch(`${urls[index % urls.length]}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ card_id: 3, items: [{ name: "Dish 1", quantity: 2 }], ...scenario.order }),
      });
      expect(response.status).toBe(202);
      return { id: ((await response.json()) as { saga_id: number }).saga_id, scenario };
    }),
  );
}

/** Waits until every saga has ended, reading each through the API at `url`. */
export async function finishedSagas(url: string, ids: readonly number[]): Promise<Map<number, SagaView>> {
  const sagas = new Map<number, SagaView>();
  await waitFor(
    async () => {
      for (const id of ids) {
        const saga = (await (await fetch(`${url}/sagas/${id}`)).json()) as SagaView;
        if (saga.status === "succeeded" || saga.status === "failed") sagas.set(id, saga);
      }
      return sagas.size === ids.length;
    },
    60_000,
    () => `${sagas.size}/${ids.length} sagas finished`,
  );
  return sagas;
}

/**
 * The statuses a saga went through, as the original records them: history entries that carry a detail are notes
 * (a command resent at its deadline, a retry after the pivot) repeating the current status, and are left out.
 */
export function transitionStatuses(history: readonly { status: string; detail?: unknown }[]): string[] {
  return history.filter((entry) => entry.detail === undefined).map((entry) => entry.status);
}

/**
 * The saga ended as its scenario must, each transition applied once and in order (the only other history entries
 * are notes of a resend or a retry), and each deadline acted on once (a command's resends are numbered 2, 3, ...).
 */
export function expectAdvancedOnce(saga: SagaView, scenario: Scenario): void {
  expect(saga.status, `saga ${saga.id}`).toBe(scenario.end);
  const history = saga.history!;
  expect(transitionStatuses(history), `saga ${saga.id}`).toEqual(scenario.statuses);
  const resends = new Map<string, number[]>();
  for (const { detail } of history) {
    const note = detail as { deadline?: string; resent?: string; attempt?: number } | undefined;
    if (note?.deadline === "passed")
      resends.set(note.resent!, [...(resends.get(note.resent!) ?? []), note.attempt!]);
  }
  for (const [operation, attempts] of resends)
    expect(attempts, `saga ${saga.id} ${operation}`).toEqual(attempts.map((_, index) => index + 2));
}

/**
 * The participants' effects (in their SQLite files in `dataDir`, or in PostgreSQL with `databaseUrl`) happened once
 * per saga: one ticket in the state the outcome implies, and it is the ticket the order names; one card
 * authorization when the card was charged, and the order names that transaction.
 */
export async function expectEffectsOnce(
  location: { readonly dataDir: string; readonly databaseUrl?: string | undefined },
  orderApi: string,
  placed: readonly { id: number; scenario: Scenario }[],
): Promise<void> {
  const databases = new ServiceDatabases(location);
  try {
    for (const { id, scenario } of placed) {
      const tickets = await databases.query<{ id: number; state: string }>(
        "restaurant-service",
        "SELECT id, state FROM tickets WHERE order_id = ?",
        [id],
      );
      expect(
        tickets.map((ticket) => ticket.state),
        `saga ${id} tickets`,
      ).toEqual(scenario.ticket ? [scenario.ticket] : []);
      const authorizations = await databases.query<{ transaction_id: number }>(
        "accounting-service",
        "SELECT transaction_id FROM card_authorizations WHERE correlation_id = ?",
        [String(id)],
      );
      expect(authorizations.length, `saga ${id} authorizations`).toBe(scenario.authorized ? 1 : 0);
      const order = (await (await fetch(`${orderApi}/orders/${id}`)).json()) as {
        transaction_id: number | null;
        restaurant_ticket_id: number | null;
      };
      expect(order.transaction_id, `saga ${id} transaction`).toBe(authorizations[0]?.transaction_id ?? null);
      if (scenario.ticket) expect(order.restaurant_ticket_id, `saga ${id} ticket`).toBe(tickets[0]?.id);
    }
  } finally {
    await databases.close();
  }
}
