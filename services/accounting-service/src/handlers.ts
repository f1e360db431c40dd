import type { AccountingServiceHandlers } from "@saga/generated/accounting-service";
import { failure, success } from "@asyncgen/runtime";
import type { AuthorizationStore } from "./store.js";

/** The original rule: amounts of 50 and more are declined. */
export const DECLINED_FROM_AMOUNT = 50;

export function accountingHandlers(store: AuthorizationStore): AccountingServiceHandlers {
  const handlers: AccountingServiceHandlers = {
    async authorizeCard({ card_id, amount }, context) {
      const log = {
        saga: context.correlationId,
        operation: "authorizeCard",
        card_id,
        amount,
        attempt: context.deliveryCount,
      };
      if (amount >= DECLINED_FROM_AMOUNT) {
        context.logger.info(log, "card declined");
        return failure({
          type: "ValueError",
          // The typo is the original's message, kept as it was.
          message: "Card authorization failed. Insiffucient balance",
          module: "accounting-service",
          traceback: [],
        });
      }
      // Keyed by the saga: a redelivered or resent command gets the transaction already recorded.
      const { authorization, created } = await store.authorize(
        context.correlationId ?? context.messageId,
        card_id,
        amount,
      );
      context.logger.info(
        { ...log, transaction_id: authorization.transaction_id },
        created ? "card authorized" : "card already authorized for this saga; same transaction returned",
      );
      return success({ transaction_id: authorization.transaction_id });
    },
  };
  return handlers;
}
