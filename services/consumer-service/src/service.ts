import { serveConsumerService } from "@saga/generated/consumer-service";
import { startParticipant, type ParticipantOptions, type RunningParticipant } from "@saga/service-kit";
import { consumerHandlers } from "./handlers.js";
import { CONSUMER_MIGRATIONS, VerificationStore } from "./store.js";

export type ConsumerServiceOptions = ParticipantOptions;

/** Opens the verification database and consumes consumer_service.commands until stop(). */
export function startConsumerService(options: ConsumerServiceOptions): Promise<RunningParticipant> {
  return startParticipant(options, {
    schema: "consumer_service",
    migrations: CONSUMER_MIGRATIONS,
    openStore: (sql) => new VerificationStore(sql),
    serve: (store, serveOptions) =>
      serveConsumerService(options.transport, consumerHandlers(store), serveOptions),
  });
}
