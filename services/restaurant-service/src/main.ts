import { queues } from "@saga/generated/restaurant-service";
import { createLogger, numberFromEnv, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { DEFAULT_APPROVE_TICKET_FAILURE_RATE } from "./handlers.js";
import { startRestaurantService } from "./service.js";

// `npm start -w services/restaurant-service`: this service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("restaurant-service", config.logLevel);
const transport = await openTransport(config, logger, "restaurant-service");
const service = await startRestaurantService({
  transport,
  logger,
  databaseFile: `${config.dataDir}/restaurant-service.sqlite`,
  approveTicketFailureRate: numberFromEnv(
    process.env,
    "APPROVE_TICKET_FAILURE_RATE",
    DEFAULT_APPROVE_TICKET_FAILURE_RATE,
  ),
});
logger.info({ queues: queues.consumes }, `restaurant-service: consuming ${queues.consumes.join(", ")}`);
if (transport.kind === "in-process") {
  logger.warn({}, "the in-process broker reaches only this process: run `npm start` for the whole system");
}
// The in-process broker holds no socket open: keep the process up until a signal stops it.
const keepAlive = setInterval(() => {}, 1 << 30);
stopOnSignals(logger, async () => {
  clearInterval(keepAlive);
  await service.stop();
  await transport.close();
});
