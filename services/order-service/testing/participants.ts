import path from "node:path";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService } from "@saga/restaurant-service";
import type { Transport } from "@asyncgen/runtime";
import type { Logger } from "@saga/service-kit";

/** The three participants in this process, each with its own SQLite file in `dataDir`, as the saga's tests need them. */
export async function startParticipants(options: {
  transport: Transport;
  dataDir: string;
  logger: Logger;
  approveTicketFailureRate: number;
}): Promise<{ stop(): Promise<void> }> {
  const { transport, dataDir, logger } = options;
  const database = (service: string) => path.join(dataDir, `${service}.sqlite`);
  const services = [
    await startConsumerService({ transport, logger, databaseFile: database("consumer-service") }),
    await startRestaurantService({
      transport,
      logger,
      databaseFile: database("restaurant-service"),
      approveTicketFailureRate: options.approveTicketFailureRate,
    }),
    await startAccountingService({ transport, logger, databaseFile: database("accounting-service") }),
  ];
  return {
    async stop() {
      for (const service of services) await service.stop();
    },
  };
}
