import type { ConsumerServiceHandlers } from "@saga/generated/consumer-service";
import { failure, success } from "@asyncgen/runtime";
import type { VerificationStore } from "./store.js";

/** The original rule: consumers with an id below 50 may not order. */
export const LOWEST_VALID_CONSUMER_ID = 50;

export function consumerHandlers(store: VerificationStore): ConsumerServiceHandlers {
  const handlers: ConsumerServiceHandlers = {
    async verifyConsumerDetails({ consumer_id }, context) {
      const refused = consumer_id < LOWEST_VALID_CONSUMER_ID;
      // Keyed by the saga: a redelivered or resent command repeats the verdict already recorded.
      const verification = await store.record(context.correlationId ?? context.messageId, {
        consumer_id,
        verdict: refused ? "refused" : "accepted",
        reason: refused ? `Consumer has incorrect id = ${consumer_id}` : null,
      });
      context.logger.info(
        {
          saga: context.correlationId,
          operation: "verifyConsumerDetails",
          consumer_id,
          verdict: verification.verdict,
          attempt: context.deliveryCount,
        },
        `consumer ${verification.verdict}`,
      );
      if (verification.verdict === "accepted") return success(null);
      return failure({
        type: "ValueError",
        message: verification.reason ?? `Consumer has incorrect id = ${verification.consumer_id}`,
        module: "consumer-service",
        traceback: [],
      });
    },
  };
  return handlers;
}
