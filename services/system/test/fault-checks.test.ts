import { describe, expect, it } from "vitest";
import type { DeadLetter } from "../faults/broker.js";
import { checkDeadLetters } from "../faults/dead-letters.js";
import { expectedOutcome } from "../faults/invariants.js";

/** The fault suite's pure checks: they must flag what they exist to flag. */
const injected = { messageId: "chaos-1", queue: "q", code: "MSG_UNKNOWN_TYPE", label: "unknown type" };
const letter = (overrides: Partial<DeadLetter> = {}, headers: Record<string, unknown> = {}): DeadLetter => ({
  queue: "q.dlq",
  messageId: "chaos-1",
  type: "chaos.unknown_message",
  correlationId: "0",
  headers: {
    "x-error-code": "MSG_UNKNOWN_TYPE",
    "x-error-reason": "no operation receives it",
    "x-original-queue": "q",
    ...headers,
  },
  ...overrides,
});

describe("checkDeadLetters", () => {
  it("accepts each injected message dead-lettered once with its code, a reason and its queue", () => {
    expect(checkDeadLetters([letter()], [injected])).toEqual([]);
  });

  it("flags an injected message that is missing or dead-lettered twice", () => {
    expect(checkDeadLetters([], [injected])[0]).toMatchObject({ seen: expect.stringContaining("0 copies") });
    expect(checkDeadLetters([letter(), letter()], [injected])[0]).toMatchObject({
      invariant: "each bad message dead-lettered once",
    });
  });

  it("flags a wrong code, an empty reason and another queue", () => {
    const seen = (l: DeadLetter) => checkDeadLetters([l], [injected]).map((v) => v.invariant);
    expect(seen(letter({}, { "x-error-code": "MSG_INVALID_PAYLOAD" }))).toEqual(["dead letter says why"]);
    expect(seen(letter({}, { "x-error-reason": "" }))).toEqual(["dead letter says why"]);
    expect(seen(letter({ queue: "other.dlq" }))).toEqual(["dead letter names its queue"]);
  });

  it("flags a dead letter nobody injected, naming its order", () => {
    const stray = letter({ messageId: "m-9", correlationId: "17" }, { "x-error-code": "HANDLER_FAILED" });
    expect(checkDeadLetters([stray], [])).toEqual([
      expect.objectContaining({
        invariant: "dead-letter queues hold only the injected bad messages",
        order: 17,
      }),
    ]);
  });
});

describe("expectedOutcome", () => {
  it("follows the saga's rules in their order", () => {
    expect(expectedOutcome({ consumer_id: 70, price: 20, max_quantity: 2 })).toEqual({
      order: "approved",
      failedStep: null,
    });
    expect(expectedOutcome({ consumer_id: 10, price: 80, max_quantity: 100500 }).failedStep).toBe(
      "verify_consumer_details",
    );
    expect(expectedOutcome({ consumer_id: 70, price: 80, max_quantity: 100500 }).failedStep).toBe(
      "create_restaurant_ticket",
    );
    expect(expectedOutcome({ consumer_id: 70, price: 80, max_quantity: 2 }).failedStep).toBe(
      "authorize_card",
    );
  });
});
