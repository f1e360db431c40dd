import type { RestaurantServiceHandlers } from "@saga/generated/restaurant-service";
import { failure, success } from "@asyncgen/runtime";
import { CONFIG_DEFAULTS } from "@saga/service-kit";
import type { TicketStore } from "./store.js";

/** The original's rate: approving a ticket fails transiently on 30% of attempts. */
export const DEFAULT_APPROVE_TICKET_FAILURE_RATE = CONFIG_DEFAULTS.approveTicketFailureRate;

export interface RestaurantRules {
  /** Probability (0..1) that one attempt to approve a ticket fails transiently. */
  readonly approveTicketFailureRate: number;
  /** Uniform in [0, 1), like Math.random (the default); injectable for tests. */
  readonly random?: () => number;
}

/** A technical, transient failure: thrown, so the runtime redelivers the command; never a failure reply. */
export class TransientError extends Error {
  override name = "TransientError";
  /** The runtime logs such a failure as one line, without a stack. */
  readonly transient = true;
}

export function restaurantHandlers(store: TicketStore, rules: RestaurantRules): RestaurantServiceHandlers {
  const rate = rules.approveTicketFailureRate;
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(`approveTicketFailureRate must be between 0 and 1, not ${rate}`);
  }
  const random = rules.random ?? Math.random;

  const handlers: RestaurantServiceHandlers = {
    async createTicket({ order_id, customer_id, items }, context) {
      const { ticket, created } = await store.create(order_id, customer_id, items);
      context.logger.info(
        {
          saga: context.correlationId,
          operation: "createTicket",
          order_id,
          ticket_id: ticket.id,
          state: ticket.state,
          attempt: context.deliveryCount,
        },
        created ? "ticket created" : "ticket already exists for this order; same ticket returned",
      );
      return success({ ticket_id: ticket.id });
    },

    async rejectTicket({ ticket_id }, context) {
      const log = { saga: context.correlationId, operation: "rejectTicket", ticket_id };
      // Decided again if the ticket changes between reading and writing (a delivery on another instance).
      for (;;) {
        const ticket = await store.find(ticket_id);
        if (!ticket) {
          // A compensation must always be able to finish: there is nothing to reject, and that is confirmed.
          context.logger.warn(log, "reject for an unknown ticket; nothing to do");
        } else if (ticket.state === "approved") {
          // Approval comes after the pivot (authorize_card), which is never compensated: keep what was approved.
          context.logger.warn(
            { ...log, state: ticket.state },
            "reject for an approved ticket; left approved",
          );
        } else if (ticket.state === "rejected") {
          context.logger.info({ ...log, state: ticket.state }, "ticket already rejected");
        } else if (await store.changeState(ticket_id, "created", "rejected")) {
          context.logger.info({ ...log, state: "rejected" }, "ticket rejected");
        } else continue;
        return success(null);
      }
    },

    async approveTicket({ ticket_id }, context) {
      const log = {
        saga: context.correlationId,
        operation: "approveTicket",
        ticket_id,
        attempt: context.deliveryCount,
      };
      // Decided again if the ticket changes between reading and writing (a delivery on another instance).
      for (;;) {
        const ticket = await store.find(ticket_id);
        if (!ticket || ticket.state === "rejected") {
          const message = ticket ? `Ticket ${ticket_id} is rejected` : `Ticket ${ticket_id} does not exist`;
          context.logger.warn({ ...log, state: ticket?.state ?? null }, `approve refused: ${message}`);
          return failure({ type: "TicketStateError", message, module: "restaurant-service", traceback: [] });
        }
        if (ticket.state === "approved") {
          context.logger.info({ ...log, state: ticket.state }, "ticket already approved");
          return success(null);
        }
        if (random() < rate) {
          context.logger.warn(log, "approve ticket failed transiently; the command will be redelivered");
          throw new TransientError("test error message. Task will retry now");
        }
        if (await store.changeState(ticket_id, "created", "approved")) {
          context.logger.info({ ...log, state: "approved" }, "ticket approved");
          return success(null);
        }
      }
    },
  };
  return handlers;
}
