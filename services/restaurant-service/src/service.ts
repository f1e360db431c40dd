import { serveRestaurantService } from "@saga/generated/restaurant-service";
import type { Transport } from "@saga/runtime";
import type { Logger } from "@saga/service-kit";
import { restaurantHandlers, type RestaurantRules } from "./handlers.js";
import { TicketStore } from "./store.js";

export interface RestaurantServiceOptions extends Partial<RestaurantRules> {
  readonly transport: Transport;
  /** SQLite file, or `:memory:`. */
  readonly databaseFile: string;
  readonly logger: Logger;
}

export async function startRestaurantService(
  options: RestaurantServiceOptions,
): Promise<{ stop(): Promise<void> }> {
  const store = new TicketStore(options.databaseFile);
  const rules: RestaurantRules = {
    approveTicketFailureRate: options.approveTicketFailureRate ?? 0.3,
    ...(options.random ? { random: options.random } : {}),
  };
  const server = await serveRestaurantService(options.transport, restaurantHandlers(store, rules), {
    logger: options.logger,
    // Transient approve failures are retried quickly; the delivery limit bounds them.
    retryDelayMs: (attempt) => Math.min(50 * 2 ** (attempt - 1), 1000),
  });
  return {
    async stop() {
      await server.close();
      store.close();
    },
  };
}
