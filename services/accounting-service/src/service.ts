import { serveAccountingService } from "@saga/generated/accounting-service";
import type { Transport } from "@saga/runtime";
import type { Logger } from "@saga/service-kit";
import { accountingHandlers } from "./handlers.js";
import { AuthorizationStore } from "./store.js";

export interface AccountingServiceOptions {
  readonly transport: Transport;
  /** SQLite file (created and migrated at start), or `:memory:`. */
  readonly databaseFile: string;
  readonly logger: Logger;
}

/** Opens the card-authorization database and consumes accounting_service.commands until stop(). */
export async function startAccountingService(
  options: AccountingServiceOptions,
): Promise<{ stop(): Promise<void> }> {
  const store = new AuthorizationStore(options.databaseFile);
  try {
    const server = await serveAccountingService(options.transport, accountingHandlers(store), {
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
