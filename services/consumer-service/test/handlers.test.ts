import { describe, expect, it } from "vitest";
import { fakeContext } from "@saga/service-kit";
import { consumerHandlers } from "../src/handlers.js";
import { VerificationStore } from "../src/store.js";

describe("consumer-service handlers", () => {
  it("accepts consumers from id 50 and records the verdict", async () => {
    const store = new VerificationStore(":memory:");
    expect(
      await consumerHandlers(store).verifyConsumerDetails(
        { consumer_id: 50 },
        fakeContext({ correlationId: "1" }),
      ),
    ).toEqual({ ok: true, reply: null });
    expect(store.db.prepare("SELECT verdict FROM verifications WHERE correlation_id = '1'").get()).toEqual({
      verdict: "accepted",
    });
  });

  it("refuses consumers below 50 with the original's message (a failure reply, not an error)", async () => {
    const store = new VerificationStore(":memory:");
    const outcome = await consumerHandlers(store).verifyConsumerDetails({ consumer_id: 10 }, fakeContext());
    expect(outcome).toEqual({
      ok: false,
      reply: {
        type: "ValueError",
        message: "Consumer has incorrect id = 10",
        module: "consumer-service",
        traceback: [],
      },
    });
  });

  it("gives a redelivered command the verdict it already gave", async () => {
    const store = new VerificationStore(":memory:");
    const handlers = consumerHandlers(store);
    await handlers.verifyConsumerDetails({ consumer_id: 70 }, fakeContext({ correlationId: "7" }));
    await handlers.verifyConsumerDetails(
      { consumer_id: 70 },
      fakeContext({ correlationId: "7", deliveryCount: 2 }),
    );
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM verifications").get()).toEqual({ n: 1 });
  });
});
