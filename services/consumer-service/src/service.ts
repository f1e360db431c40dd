import { serveConsumerService } from "@saga/generated/consumer-service";
import type { Transport } from "@saga/runtime";
import type { Logger } from "@saga/service-kit";
import { consumerHandlers } from "./handlers.js";
import { VerificationStore } from "./store.js";

export interface ConsumerServiceOptions {
  readonly transport: Transport;
  /** SQLite file (created and migrated at start), or `:memory:`. */
  readonly databaseFile: string;
  readonly logger: Logger;
}

/** Opens the verification database and consumes consumer_service.commands until stop(). */
export async function startConsumerService(
  options: ConsumerServiceOptions,
): Promise<{ stop(): Promise<void> }> {
  const store = new VerificationStore(options.databaseFile);
  try {
    const server = await serveConsumerService(options.transport, consumerHandlers(store), {
      logger: options.logger,
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
