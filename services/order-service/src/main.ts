import { createLogger, openTransport, readConfigOrExit, stopOnSignals } from "@saga/service-kit";
import { orderDatabaseLocation, startOrderService } from "./service.js";

// Starts the order service alone; configuration comes only from the environment.
const config = readConfigOrExit();
const logger = createLogger("order-service", config.logLevel);
const transport = await openTransport(config, logger, "order-service");
const service = await startOrderService({
  transport,
  logger,
  ...orderDatabaseLocation(config),
  port: config.port,
  host: config.host,
  stepDeadlineMs: config.stepDeadlineMs,
});
stopOnSignals(logger, async () => {
  await service.stop();
  await transport.close();
});
