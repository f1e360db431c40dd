import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OrderServiceClient, serveOrderService } from "@saga/generated/order-service";
import { createInProcessTransport } from "@saga/runtime";
import { createLogger } from "@saga/service-kit";
import { startAccountingService } from "../src/service.js";
import { AuthorizationStore } from "../src/store.js";
import { replyRecorder, tempDir } from "../../restaurant-service/test/support.js";

/** The service as it runs, on the in-process broker: commands from the generated client, replies recorded. */
async function setUp() {
  const transport = createInProcessTransport();
  const recorder = replyRecorder();
  const orders = await serveOrderService(transport, recorder.handlers, recorder.options);
  const databaseFile = path.join(tempDir("accounting-service"), "accounting-service.sqlite");
  const service = await startAccountingService({
    transport,
    databaseFile,
    logger: createLogger("accounting-service", "silent"),
  });
  const store = new AuthorizationStore(databaseFile);
  cleanups.push(async () => {
    await service.stop();
    await orders.close();
    await transport.close();
    store.close();
  });
  return { client: new OrderServiceClient(transport), recorder, db: store.db };
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
});
