import { serveRestaurantService } from "@saga/generated/restaurant-service";
import type { Transport } from "@saga/runtime";
import type { Logger } from "@saga/service-kit";
import { DEFAULT_APPROVE_TICKET_FAILURE_RATE, restaurantHandlers } from "./handlers.js";
import { TicketStore } from "./store.js";

export interface RestaurantServiceOptions {
  readonly transport: Transport;
  /** SQLite file (created and migrated at start), or `:memory:`. */
  readonly databaseFile: string;
  readonly logger: Logger;
  /** Probability (0..1) that one attempt to approve a ticket fails transiently. Default 0.3, as the original. */
  readonly approveTicketFailureRate?: number;
  /** Injectable for tests; default Math.random. */
  readonly random?: () => number;
  /** Wait before a transiently failed command goes back to the queue. Default: 50 ms doubling, at most 1 s. */
  readonly retryDelayMs?: (attempt: number) => number;
}

/** Opens the ticket database and consumes restaurant_service.commands until stop(). */
export async function startRestaurantService(
  options: RestaurantServiceOptions,
): Promise<{ stop(): Promise<void> }> {
  const store = new TicketStore(options.databaseFile);
  try {
    const handlers = restaurantHandlers(store, {
      approveTicketFailureRate: options.approveTicketFailureRate ?? DEFAULT_APPROVE_TICKET_FAILURE_RATE,
      ...(options.random ? { random: options.random } : {}),
    });
    const server = await serveRestaurantService(options.transport, handlers, {
      logger: options.logger,
      // Transient approve failures are retried quickly; the queue's delivery limit bounds them.
      retryDelayMs: options.retryDelayMs ?? ((attempt) => Math.min(50 * 2 ** (attempt - 1), 1000)),
    });
    return {
      async stop() {
        await server.close();
        store.close();
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
