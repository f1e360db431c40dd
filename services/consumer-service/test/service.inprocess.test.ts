import { afterEach, describe, expect, it } from "vitest";
import { startConsumerService } from "../src/service.js";
import { inProcessParticipant } from "@saga/service-kit/testing";

/** The service as it runs, on the in-process broker: commands from the generated client, replies recorded. */
async function setUp() {
  const running = await inProcessParticipant("consumer-service", startConsumerService);
  cleanups.push(() => running.close());
  return running;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("consumer-service over the in-process transport", () => {
  it("replies success (null payload) to an accepted consumer, with the saga's correlation id", async () => {
    const { client, recorder, db } = await setUp();
    await client.verifyConsumerDetails({ consumer_id: 70 }, { correlationId: "s-1" });
    expect(await recorder.waitFor("s-1")).toEqual([
      {
        operation: "onVerifyConsumerDetailsSuccess",
        type: "consumer_service.verify_consumer_details.response.success",
        correlationId: "s-1",
        payload: null,
      },
    ]);
    expect(
      db.prepare("SELECT consumer_id, verdict FROM verifications WHERE correlation_id = 's-1'").all(),
    ).toEqual([{ consumer_id: 70, verdict: "accepted" }]);
  });

  it("replies failure to a consumer below 50 and records the refusal", async () => {
    const { client, recorder, db } = await setUp();
    await client.verifyConsumerDetails({ consumer_id: 49 }, { correlationId: "s-2" });
    expect(await recorder.waitFor("s-2")).toEqual([
      {
        operation: "onVerifyConsumerDetailsFailure",
        type: "consumer_service.verify_consumer_details.response.failure",
        correlationId: "s-2",
        payload: {
          type: "ValueError",
          message: "Consumer has incorrect id = 49",
          module: "consumer-service",
          traceback: [],
        },
      },
    ]);
    expect(db.prepare("SELECT verdict, reason FROM verifications").all()).toEqual([
      { verdict: "refused", reason: "Consumer has incorrect id = 49" },
    ]);
  });

  it("answers a resent command of the same saga the same way, with one recorded verdict", async () => {
    const { client, recorder, db } = await setUp();
    await client.verifyConsumerDetails({ consumer_id: 10 }, { correlationId: "s-3" });
    await client.verifyConsumerDetails({ consumer_id: 10 }, { correlationId: "s-3" });
    const replies = await recorder.waitFor("s-3", 2);
    expect(replies.map((r) => r.operation)).toEqual([
      "onVerifyConsumerDetailsFailure",
      "onVerifyConsumerDetailsFailure",
    ]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM verifications").get()).toEqual({ n: 1 });
  });
});
