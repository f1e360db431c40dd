import { createLogger, numberFromEnv, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { startRestaurantService } from "./service.js";

// Starts the restaurant service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("restaurant-service", config.logLevel);
const transport = await openTransport(config, logger, "restaurant-service");
const service = await startRestaurantService({
  transport,
  logger,
  databaseFile: `${config.dataDir}/restaurant-service.sqlite`,
  approveTicketFailureRate: numberFromEnv(process.env, "APPROVE_TICKET_FAILURE_RATE", 0.3),
});
logger.info({}, "restaurant-service: consuming restaurant_service.commands");
stopOnSignals(logger, async () => {
  await service.stop();
  await transport.close();
});
