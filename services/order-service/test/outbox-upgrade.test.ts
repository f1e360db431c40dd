import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SagaEngine, SQLITE } from "@asyncgen/saga";
import { openSqlite } from "@asyncgen/saga/sqlite";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createOrderSaga } from "../src/create-order-saga/definition.js";
import { openOrderDatabase, ORDER_SERVICE_MIGRATIONS } from "../src/create-order-saga/order-store.js";

/**
 * A database written by the order service before the outbox stored built messages: migration 3 replaces the outbox,
 * and the command that was still unsent is not lost: its saga awaits it, and the deadline resends it, built.
 */
describe("upgrading an order database to the shared outbox layout", () => {
  it("resends, at its deadline, the command left unsent in the old outbox", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "outbox-upgrade-")), "order-service.sqlite");
    const old = openSqlite(
      file,
      ORDER_SERVICE_MIGRATIONS.slice(0, 2).map((migration) => migration(SQLITE)),
    );
    const now = new Date().toISOString();
    const command = { operation: "verifyConsumerDetails", payload: { consumer_id: 70 } };
    const awaiting = { step: 1, phase: "action", attempts: 1, deadlineAt: Date.now() - 1, command };
    const data = {
      consumer_id: 70,
      card_id: 3,
      price: 20,
      items: [{ name: "Dish 1", quantity: 2 }],
      status: "pending_validation",
      restaurant_ticket_id: null,
      transaction_id: null,
    };
    old
      .prepare(
        `INSERT INTO sagas (type, status, version, data, awaiting, deadline_at, created_at, updated_at)
         VALUES ('create_order_saga', 'verify_consumer_details.running', 1, ?, ?, ?, ?, ?)`,
      )
      .run(JSON.stringify(data), JSON.stringify(awaiting), awaiting.deadlineAt, now, now);
    old
      .prepare(
        `INSERT INTO outbox (message_id, correlation_id, operation, payload, created_at) VALUES ('m-1', '1', ?, ?, ?)`,
      )
      .run(command.operation, JSON.stringify(command.payload), now);
    old.close();

    const logger = pino({ level: "silent" });
    const store = await openOrderDatabase({ databaseFile: file }, logger);
    try {
      expect(await store.pendingOutbox(10)).toEqual([]); // the old row went with the old table
      const engine = new SagaEngine(createOrderSaga({ stepDeadlineMs: 1000, maxResends: 3 }), store, logger);
      expect(await store.overdue(Date.now(), 10)).toEqual([1]);
      await engine.onDeadline(1);
      const [resent] = await store.pendingOutbox(10);
      expect(resent!.message).toMatchObject({
        routingKey: "consumer_service.commands",
        properties: {
          type: "consumer_service.verify_consumer_details",
          correlationId: "1",
          replyTo: "create_order_saga_responses",
        },
      });
      expect(JSON.parse(resent!.message.body.toString())).toEqual({ consumer_id: 70 });
    } finally {
      await store.close();
    }
  });
});
