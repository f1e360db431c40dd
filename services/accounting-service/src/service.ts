import { serveAccountingService } from "@saga/generated/accounting-service";
import type { Transport } from "@saga/runtime";
import type { Logger } from "@saga/service-kit";
import { accountingHandlers } from "./handlers.js";
import { AuthorizationStore } from "./store.js";

export interface AccountingServiceOptions {
  readonly transport: Transport;
  /** SQLite file, or `:memory:`. */
  readonly databaseFile: string;
  readonly logger: Logger;
}

export async function startAccountingService(
  options: AccountingServiceOptions,
): Promise<{ stop(): Promise<void> }> {
  const store = new AuthorizationStore(options.databaseFile);
  const server = await serveAccountingService(options.transport, accountingHandlers(store), {
    logger: options.logger,
  });
  return {
    async stop() {
      await server.close();
      store.close();
    },
  };
}
