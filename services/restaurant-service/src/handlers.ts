import type { RestaurantServiceHandlers } from "@saga/generated/restaurant-service";
import { failure, success } from "@saga/runtime";
import type { TicketStore } from "./store.js";

export interface RestaurantRules {
  /** Probability that approving a ticket fails transiently (the original's 0.3). */
  readonly approveTicketFailureRate: number;
  /** Injectable for tests. */
  readonly random?: () => number;
}

/** A technical, transient failure: the runtime redelivers the command; it never becomes a failure reply. */
export class TransientError extends Error {
  override name = "TransientError";
}

export function restaurantHandlers(store: TicketStore, rules: RestaurantRules): RestaurantServiceHandlers {
  const random = rules.random ?? Math.random;
  return {
    async createTicket({ order_id, customer_id, items }, context) {
      const ticket = store.create(order_id, customer_id, items);
      context.logger.info(
        { saga: context.correlationId, operation: "createTicket", order_id, ticket_id: ticket.id },
        "ticket created",
      );
      return success({ ticket_id: ticket.id });
    },

    async rejectTicket({ ticket_id }, context) {
      const ticket = store.find(ticket_id);
      const log = { saga: context.correlationId, operation: "rejectTicket", ticket_id };
      if (!ticket) {
        // A compensation must always be able to finish; there is nothing to reject.
        context.logger.warn(log, "reject for an unknown ticket; nothing to do");
      } else if (ticket.state === "approved") {
        context.logger.warn(log, "reject for an approved ticket; left approved");
      } else {
        store.setState(ticket_id, "rejected");
        context.logger.info(log, "ticket rejected");
      }
      return success(null);
    },

    async approveTicket({ ticket_id }, context) {
      const log = {
        saga: context.correlationId,
        operation: "approveTicket",
        ticket_id,
        attempt: context.deliveryCount,
      };
      const ticket = store.find(ticket_id);
      if (!ticket || ticket.state === "rejected") {
        return failure({
          type: "TicketStateError",
          message: ticket ? `ticket ${ticket_id} is rejected` : `ticket ${ticket_id} does not exist`,
          module: "restaurant-service",
          traceback: [],
        });
      }
      if (ticket.state === "created") {
        if (random() < rules.approveTicketFailureRate) {
          context.logger.warn(log, "approve ticket: transient failure; the command will be retried");
          throw new TransientError("test error message. Task will retry now");
        }
        store.setState(ticket_id, "approved");
      }
      context.logger.info(log, "ticket approved");
      return success(null);
    },
  };
}
