import type { AccountingServiceHandlers } from "@saga/generated/accounting-service";
import { failure, success } from "@saga/runtime";
import type { AuthorizationStore } from "./store.js";

/** The original rule: amounts of 50 and more are declined. */
export const DECLINED_FROM_AMOUNT = 50;

export function accountingHandlers(store: AuthorizationStore): AccountingServiceHandlers {
  return {
    async authorizeCard({ card_id, amount }, context) {
      const log = { saga: context.correlationId, operation: "authorizeCard", card_id, amount };
      if (amount >= DECLINED_FROM_AMOUNT) {
        context.logger.info(log, "card declined");
        // The typo is the original's message, kept as it was.
        return failure({
          type: "ValueError",
          message: "Card authorization failed. Insiffucient balance",
          module: "accounting-service",
          traceback: [],
        });
      }
      const authorization = store.authorize(context.correlationId ?? context.messageId, card_id, amount);
      context.logger.info({ ...log, transaction_id: authorization.transaction_id }, "card authorized");
      return success({ transaction_id: authorization.transaction_id });
    },
  };
}
