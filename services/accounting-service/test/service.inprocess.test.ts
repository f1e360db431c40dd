import { afterEach, describe, expect, it } from "vitest";
import { startAccountingService } from "../src/service.js";
import { inProcessParticipant, waitUntil } from "@saga/service-kit/testing";

/** The service as it runs, on the in-process broker: commands from the generated client, replies recorded. */
async function setUp() {
  const running = await inProcessParticipant("accounting-service", startAccountingService);
  cleanups.push(() => running.close());
  return running;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("accounting-service over the in-process transport", () => {
  it("authorizes an amount below 50: success reply with the recorded transaction id", async () => {
    const { client, recorder, db } = await setUp();
    await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: "s-1" });
    const [reply] = await recorder.waitFor("s-1");
    expect(reply).toMatchObject({
      operation: "onAuthorizeCardSuccess",
      type: "accounting_service.authorize_card.response.success",
      correlationId: "s-1",
    });
    const { transaction_id } = reply!.payload as { transaction_id: number };
    expect(
      db.prepare("SELECT transaction_id, correlation_id, card_id, amount FROM card_authorizations").all(),
    ).toEqual([{ transaction_id, correlation_id: "s-1", card_id: 3, amount: 20 }]);
  });

  it("declines 50 with a failure reply and records nothing", async () => {
    const { client, recorder, db } = await setUp();
    await client.authorizeCard({ card_id: 3, amount: 50 }, { correlationId: "s-2" });
    expect(await recorder.waitFor("s-2")).toEqual([
      {
        operation: "onAuthorizeCardFailure",
        type: "accounting_service.authorize_card.response.failure",
        correlationId: "s-2",
        payload: {
          type: "ValueError",
          message: "Card authorization failed. Insiffucient balance",
          module: "accounting-service",
          traceback: [],
        },
      },
    ]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM card_authorizations").get()).toEqual({ n: 0 });
  });

  it("answers a resent command of the same saga with the same transaction; other sagas get their own", async () => {
    const { client, recorder, db } = await setUp();
    await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: "s-3" });
    await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: "s-3" });
    await client.authorizeCard({ card_id: 4, amount: 30 }, { correlationId: "s-4" });
    const [first, again] = await recorder.waitFor("s-3", 2);
    const [other] = await recorder.waitFor("s-4");
    expect(again!.payload).toEqual(first!.payload);
    expect(other!.payload).not.toEqual(first!.payload);
    expect(
      db.prepare("SELECT correlation_id FROM card_authorizations ORDER BY transaction_id").all(),
    ).toEqual([{ correlation_id: "s-3" }, { correlation_id: "s-4" }]);
  });

  it("a command delivered twice (same message id) charges once and is answered once; the outbox drains", async () => {
    const { transport, client, recorder, db, unsentReplies } = await setUp();
    const command = { card_id: 3, amount: 20 };
    await client.authorizeCard(command, { correlationId: "s-5", messageId: "m-5" });
    await client.authorizeCard(command, { correlationId: "s-5", messageId: "m-5" });
    await recorder.waitFor("s-5");
    await waitUntil(() => {
      const { ready, unacked } = transport.inspect("accounting_service.commands");
      return ready + unacked === 0 && unsentReplies() === 0;
    }, 5000);
    // Every reply that will ever go out is an outbox row: one, sent, and one consumed command.
    expect(db.prepare("SELECT message_id, sent_at IS NOT NULL AS sent FROM outbox").all()).toEqual([
      { message_id: "m-5.reply", sent: 1 },
    ]);
    expect(db.prepare("SELECT message_id FROM consumed_messages").all()).toEqual([{ message_id: "m-5" }]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM card_authorizations").get()).toEqual({ n: 1 });
    expect(recorder.forSaga("s-5")).toHaveLength(1);
  });
});
