import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@asyncgen/saga/testing";
import { npmStart, tempDir, waitUntil } from "@saga/service-kit/testing";

/**
 * `npm start` with DATABASE_URL (the in-process broker, so no RabbitMQ is needed): the four services share the one
 * PostgreSQL database, each participant in its schema, and nothing is written to DATA_DIR.
 */
const MAX = 2_147_483_647;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase("npm_start");
});
afterAll(async () => {
  await database?.drop();
});

describe("npm start with DATABASE_URL", () => {
  it("keeps every service's state in that database, each participant in a schema of its own", async () => {
    const dataDir = tempDir("one-database");
    const system = npmStart("system", {
      BROKER: "in-process",
      PORT: "0",
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      APPROVE_TICKET_FAILURE_RATE: "0",
      LOG_LEVEL: "info",
    });
    const client = new pg.Client({ connectionString: database.url });
    try {
      const started = /CreateOrderSaga demo: open (http:\/\/\S+?)"/;
      await system.waitForOutput(started, 60_000);
      const url = started.exec(system.output())![1]!;
      const accepted = await fetch(`${url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // The contracts' largest ids and quantity: the participants' INTEGER columns hold them.
        body: JSON.stringify({
          consumer_id: MAX,
          card_id: MAX,
          price: 20,
          items: [{ name: "Dish", quantity: MAX }],
        }),
      });
      const { saga_id } = (await accepted.json()) as { saga_id: number };
      let order: { status?: string; restaurant_ticket_id?: number; transaction_id?: number } = {};
      await waitUntil(
        async () => {
          order = (await (await fetch(`${url}/orders/${saga_id}`)).json()) as typeof order;
          return order.status === "approved";
        },
        20_000,
        () => JSON.stringify(order),
      );
      await client.connect();
      const one = async (sql: string) => (await client.query(sql)).rows[0] as Record<string, unknown>;
      expect(await one(`SELECT id, state FROM restaurant_service.tickets`)).toEqual({
        id: String(order.restaurant_ticket_id),
        state: "approved",
      });
      expect(await one(`SELECT transaction_id, card_id FROM accounting_service.card_authorizations`)).toEqual(
        {
          transaction_id: String(order.transaction_id),
          card_id: MAX,
        },
      );
      expect(await one(`SELECT verdict, consumer_id FROM consumer_service.verifications`)).toEqual({
        verdict: "accepted",
        consumer_id: MAX,
      });
      for (const schema of ["public", "consumer_service", "restaurant_service", "accounting_service"])
        expect(
          await one(`SELECT count(*)::int AS unsent FROM ${schema}.outbox WHERE sent_at IS NULL`),
        ).toEqual({
          unsent: 0,
        });
      expect(readdirSync(dataDir).filter((file) => file.endsWith(".sqlite"))).toEqual([]);
    } finally {
      await client.end().catch(() => {});
      await system.stop();
    }
  }, 90_000);
});
