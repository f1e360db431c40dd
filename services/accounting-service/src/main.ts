import { queues } from "@saga/generated/accounting-service";
import { createLogger, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { startAccountingService } from "./service.js";

// `npm start -w services/accounting-service`: this service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("accounting-service", config.logLevel);
const transport = await openTransport(config, logger, "accounting-service");
const service = await startAccountingService({
  transport,
  logger,
  databaseFile: `${config.dataDir}/accounting-service.sqlite`,
});
logger.info({ queues: queues.consumes }, `accounting-service: consuming ${queues.consumes.join(", ")}`);
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
