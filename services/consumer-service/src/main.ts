import { queues } from "@saga/generated/consumer-service";
import { createLogger, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { startConsumerService } from "./service.js";

// `npm start -w services/consumer-service`: this service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("consumer-service", config.logLevel);
const transport = await openTransport(config, logger, "consumer-service");
const service = await startConsumerService({
  transport,
  logger,
  databaseFile: `${config.dataDir}/consumer-service.sqlite`,
});
logger.info({ queues: queues.consumes }, `consumer-service: consuming ${queues.consumes.join(", ")}`);
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
