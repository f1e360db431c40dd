import { describe, expect, it } from "vitest";
import { fakeContext, SqliteParticipantDatabase } from "@saga/service-kit";
import { consumerHandlers } from "../src/handlers.js";
import { CONSUMER_MIGRATIONS, VerificationStore } from "../src/store.js";
import { recordingLogger } from "@saga/service-kit/testing";

function setUp() {
  const { db, sql } = new SqliteParticipantDatabase(":memory:", CONSUMER_MIGRATIONS);
  const store = new VerificationStore(sql);
  const rows = () =>
    db
      .prepare("SELECT correlation_id, consumer_id, verdict, reason, created_at FROM verifications")
      .all() as {
      correlation_id: string;
      consumer_id: number;
      verdict: string;
      reason: string | null;
      created_at: string;
    }[];
  return { store, handlers: consumerHandlers(store), rows };
}

describe("consumer-service: verifyConsumerDetails", () => {
  it.each([50, 51, 70, 1_000_000])(
    "accepts consumer %i with a success(null) reply and records it",
    async (id) => {
      const { handlers, rows } = setUp();
      expect(
        await handlers.verifyConsumerDetails({ consumer_id: id }, fakeContext({ correlationId: "1" })),
      ).toEqual({
        ok: true,
        reply: null,
      });
      expect(rows()).toEqual([
        {
          correlation_id: "1",
          consumer_id: id,
          verdict: "accepted",
          reason: null,
          created_at: expect.any(String),
        },
      ]);
    },
  );

  it.each([49, 10, 0, -5])(
    "refuses consumer %i with the original's ValueError (a failure reply, not a thrown error)",
    async (id) => {
      const { handlers, rows } = setUp();
      const outcome = await handlers.verifyConsumerDetails(
        { consumer_id: id },
        fakeContext({ correlationId: "2" }),
      );
      expect(outcome).toEqual({
        ok: false,
        reply: {
          type: "ValueError",
          message: `Consumer has incorrect id = ${id}`,
          module: "consumer-service",
          traceback: [],
        },
      });
      expect(rows()).toMatchObject([
        {
          correlation_id: "2",
          consumer_id: id,
          verdict: "refused",
          reason: `Consumer has incorrect id = ${id}`,
        },
      ]);
    },
  );

  it("records one verdict per saga and repeats it for a redelivered command", async () => {
    const { handlers, rows } = setUp();
    const first = await handlers.verifyConsumerDetails(
      { consumer_id: 10 },
      fakeContext({ correlationId: "7" }),
    );
    const again = await handlers.verifyConsumerDetails(
      { consumer_id: 10 },
      fakeContext({ correlationId: "7", deliveryCount: 2 }),
    );
    expect(again).toEqual(first);
    await handlers.verifyConsumerDetails({ consumer_id: 70 }, fakeContext({ correlationId: "8" }));
    expect(rows().map((r) => [r.correlation_id, r.verdict])).toEqual([
      ["7", "refused"],
      ["8", "accepted"],
    ]);
  });

  it("falls back to the message id when a command has no correlation id", async () => {
    const { handlers, rows } = setUp();
    await handlers.verifyConsumerDetails(
      { consumer_id: 70 },
      fakeContext({ correlationId: undefined, messageId: "m-1" }),
    );
    expect(rows()[0]!.correlation_id).toBe("m-1");
  });

  it("logs the saga, the operation and the verdict", async () => {
    const { handlers } = setUp();
    const logger = recordingLogger();
    await handlers.verifyConsumerDetails({ consumer_id: 10 }, fakeContext({ correlationId: "5", logger }));
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        fields: expect.objectContaining({
          saga: "5",
          operation: "verifyConsumerDetails",
          consumer_id: 10,
          verdict: "refused",
        }),
      }),
    );
  });
});
