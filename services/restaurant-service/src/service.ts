import { serveRestaurantService } from "@saga/generated/restaurant-service";
import { startParticipant, type ParticipantOptions, type RunningParticipant } from "@saga/service-kit";
import { DEFAULT_APPROVE_TICKET_FAILURE_RATE, restaurantHandlers } from "./handlers.js";
import { TICKET_MIGRATIONS, TicketStore } from "./store.js";

export type RestaurantServiceOptions = ParticipantOptions & {
  /** Probability (0..1) that one attempt to approve a ticket fails transiently. Default 0.3, as the original. */
  readonly approveTicketFailureRate?: number;
  /** Injectable for tests; default Math.random. */
  readonly random?: () => number;
};

/** Transient approve failures are retried quickly (50 ms doubling, at most 1 s); the queue's delivery limit bounds them. */
const quickRetry = (attempt: number): number => Math.min(50 * 2 ** (attempt - 1), 1000);

/** Opens the ticket database and consumes restaurant_service.commands until stop(). */
export function startRestaurantService(options: RestaurantServiceOptions): Promise<RunningParticipant> {
  const rules = {
    approveTicketFailureRate: options.approveTicketFailureRate ?? DEFAULT_APPROVE_TICKET_FAILURE_RATE,
    ...(options.random ? { random: options.random } : {}),
  };
  return startParticipant(
    { ...options, retryDelayMs: options.retryDelayMs ?? quickRetry },
    {
      schema: "restaurant_service",
      migrations: TICKET_MIGRATIONS,
      openStore: (sql) => new TicketStore(sql),
      serve: (store, serveOptions) =>
        serveRestaurantService(options.transport, restaurantHandlers(store, rules), serveOptions),
    },
  );
}
