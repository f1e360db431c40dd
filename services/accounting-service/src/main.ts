import { createLogger, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { startAccountingService } from "./service.js";

// Starts the accounting service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("accounting-service", config.logLevel);
const transport = await openTransport(config, logger, "accounting-service");
const service = await startAccountingService({
  transport,
  logger,
  databaseFile: `${config.dataDir}/accounting-service.sqlite`,
});
logger.info({}, "accounting-service: consuming accounting_service.commands");
stopOnSignals(logger, async () => {
  await service.stop();
  await transport.close();
});
