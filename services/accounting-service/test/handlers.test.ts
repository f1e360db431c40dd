import { describe, expect, it } from "vitest";
import { fakeContext, SqliteParticipantDatabase } from "@saga/service-kit";
import { accountingHandlers } from "../src/handlers.js";
import { ACCOUNTING_MIGRATIONS, AuthorizationStore } from "../src/store.js";
import { recordingLogger } from "@saga/service-kit/testing";

function setUp() {
  const { db, sql } = new SqliteParticipantDatabase(":memory:", ACCOUNTING_MIGRATIONS);
  const store = new AuthorizationStore(sql);
  const rows = () =>
    db
      .prepare("SELECT transaction_id, correlation_id, card_id, amount, created_at FROM card_authorizations")
      .all() as { transaction_id: number; correlation_id: string; card_id: number; amount: number }[];
  return { store, handlers: accountingHandlers(store), rows };
}

describe("accounting-service: authorizeCard", () => {
  it.each([0, 1, 20, 49])(
    "authorizes amount %i, records it and returns its transaction id",
    async (amount) => {
      const { handlers, rows } = setUp();
      const outcome = await handlers.authorizeCard(
        { card_id: 3, amount },
        fakeContext({ correlationId: "5" }),
      );
      expect(outcome.ok).toBe(true);
      const { transaction_id } = outcome.reply as { transaction_id: number };
      expect(Number.isInteger(transaction_id)).toBe(true);
      expect(rows()).toEqual([
        { transaction_id, correlation_id: "5", card_id: 3, amount, created_at: expect.any(String) },
      ]);
    },
  );

  it.each([50, 51, 1000])(
    "declines amount %i with the original's message (typo kept), recording nothing",
    async (amount) => {
      const { handlers, rows } = setUp();
      const outcome = await handlers.authorizeCard({ card_id: 3, amount }, fakeContext());
      expect(outcome).toEqual({
        ok: false,
        reply: {
          type: "ValueError",
          message: "Card authorization failed. Insiffucient balance",
          module: "accounting-service",
          traceback: [],
        },
      });
      expect(rows()).toEqual([]);
    },
  );

  it("returns the same transaction to a redelivered command of the same saga", async () => {
    const { handlers, rows } = setUp();
    const first = await handlers.authorizeCard(
      { card_id: 3, amount: 20 },
      fakeContext({ correlationId: "9" }),
    );
    const again = await handlers.authorizeCard(
      { card_id: 3, amount: 20 },
      fakeContext({ correlationId: "9", deliveryCount: 2 }),
    );
    expect(again).toEqual(first);
    expect(rows()).toHaveLength(1);
  });

  it("gives each saga its own transaction", async () => {
    const { handlers, rows } = setUp();
    const a = await handlers.authorizeCard({ card_id: 3, amount: 20 }, fakeContext({ correlationId: "1" }));
    const b = await handlers.authorizeCard({ card_id: 3, amount: 20 }, fakeContext({ correlationId: "2" }));
    expect(a.reply).not.toEqual(b.reply);
    expect(rows()).toHaveLength(2);
  });

  it("logs the saga and the operation, for authorizations and declines", async () => {
    const { handlers } = setUp();
    const logger = recordingLogger();
    await handlers.authorizeCard({ card_id: 3, amount: 20 }, fakeContext({ correlationId: "1", logger }));
    await handlers.authorizeCard({ card_id: 3, amount: 80 }, fakeContext({ correlationId: "2", logger }));
    expect(logger.entries.map((e) => e.fields)).toEqual([
      expect.objectContaining({ saga: "1", operation: "authorizeCard", transaction_id: expect.any(Number) }),
      expect.objectContaining({ saga: "2", operation: "authorizeCard", amount: 80 }),
    ]);
  });
});
