import { describe, expect, it } from "vitest";
import { fakeContext } from "@saga/service-kit";
import { accountingHandlers } from "../src/handlers.js";
import { AuthorizationStore } from "../src/store.js";

describe("accounting-service handlers", () => {
  it("authorizes amounts below 50 and records the authorization", async () => {
    const store = new AuthorizationStore(":memory:");
    const outcome = await accountingHandlers(store).authorizeCard(
      { card_id: 3, amount: 49 },
      fakeContext({ correlationId: "5" }),
    );
    expect(outcome.ok).toBe(true);
    expect(store.db.prepare("SELECT card_id, amount FROM card_authorizations").all()).toEqual([
      { card_id: 3, amount: 49 },
    ]);
  });

  it("declines 50 and more with the original's message, recording nothing", async () => {
    const store = new AuthorizationStore(":memory:");
    const outcome = await accountingHandlers(store).authorizeCard({ card_id: 3, amount: 50 }, fakeContext());
    expect(outcome).toMatchObject({
      ok: false,
      reply: { type: "ValueError", message: "Card authorization failed. Insiffucient balance" },
    });
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM card_authorizations").get()).toEqual({ n: 0 });
  });

  it("returns the same transaction to a redelivered command of the same saga", async () => {
    const store = new AuthorizationStore(":memory:");
    const handlers = accountingHandlers(store);
    const first = await handlers.authorizeCard(
      { card_id: 3, amount: 20 },
      fakeContext({ correlationId: "9" }),
    );
    const again = await handlers.authorizeCard(
      { card_id: 3, amount: 20 },
      fakeContext({ correlationId: "9", deliveryCount: 2 }),
    );
    expect(again).toEqual(first);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM card_authorizations").get()).toEqual({ n: 1 });
  });
});
