import { createLogger, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { startConsumerService } from "./service.js";

// Starts the consumer service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("consumer-service", config.logLevel);
const transport = await openTransport(config, logger, "consumer-service");
const service = await startConsumerService({
  transport,
  logger,
  databaseFile: `${config.dataDir}/consumer-service.sqlite`,
});
logger.info({}, "consumer-service: consuming consumer_service.commands");
stopOnSignals(logger, async () => {
  await service.stop();
  await transport.close();
});
