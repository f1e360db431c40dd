import {
  createLogger,
  exitOnStartFailure,
  openTransport,
  readConfigOrExit,
  redactUrl,
  retentionPolicy,
  stopOnSignals,
} from "@saga/service-kit";
import { serveUnavailable } from "./http/unavailable-server.js";
import { orderDatabaseLocation, startOrderService } from "./service.js";

// Starts the order service alone; configuration comes only from the environment. Alone, it waits for RabbitMQ
// (answering 503 meanwhile) instead of running on an in-process broker that no participant could reach.
const config = readConfigOrExit();
const logger = createLogger("order-service", config.logLevel);
const stopSteps = stopOnSignals(logger);
let waiting: Awaited<ReturnType<typeof serveUnavailable>> | undefined;
const transport = await openTransport(config, logger, "order-service", {
  onUnreachable: async () => {
    waiting = await serveUnavailable({
      port: config.port,
      host: config.host,
      waitingFor: `RabbitMQ at ${redactUrl(config.amqpUrl)}`,
    });
    logger.warn(
      { url: waiting.url },
      `order-service: waiting for RabbitMQ; ${waiting.url} answers 503 meanwhile`,
    );
  },
}).catch(exitOnStartFailure(logger));
stopSteps.add(() => transport.close());
await waiting?.close();
const service = await startOrderService({
  transport,
  logger,
  ...orderDatabaseLocation(config),
  port: config.port,
  host: config.host,
  stepDeadlineMs: config.stepDeadlineMs,
  outboxLeaseMs: config.outboxLeaseMs,
  retention: retentionPolicy(config),
});
stopSteps.add(() => service.stop());
