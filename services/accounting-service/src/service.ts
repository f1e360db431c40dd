import { serveAccountingService } from "@saga/generated/accounting-service";
import { startParticipant, type ParticipantOptions, type RunningParticipant } from "@saga/service-kit";
import { accountingHandlers } from "./handlers.js";
import { ACCOUNTING_MIGRATIONS, AuthorizationStore } from "./store.js";

export type AccountingServiceOptions = ParticipantOptions;

/** Opens the card-authorization database and consumes accounting_service.commands until stop(). */
export function startAccountingService(options: AccountingServiceOptions): Promise<RunningParticipant> {
  return startParticipant(options, {
    schema: "accounting_service",
    migrations: ACCOUNTING_MIGRATIONS,
    openStore: (sql) => new AuthorizationStore(sql),
    serve: (store, serveOptions) =>
      serveAccountingService(options.transport, accountingHandlers(store), serveOptions),
  });
}
