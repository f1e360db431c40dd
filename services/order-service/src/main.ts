import { createLogger, numberFromEnv, openTransport, readConfig, stopOnSignals } from "@saga/service-kit";
import { DEFAULT_OUTBOX_LEASE_MS } from "@asyncgen/saga/postgres";
import { orderDatabaseLocation, startOrderService } from "./service.js";

// Starts the order service alone; configuration comes only from the environment.
const config = readConfig();
const logger = createLogger("order-service", config.logLevel);
const transport = await openTransport(config, logger, "order-service");
const service = await startOrderService({
  transport,
  logger,
  ...orderDatabaseLocation(config),
  port: numberFromEnv(process.env, "PORT", 3000),
  host: process.env.HOST ?? "127.0.0.1",
  stepDeadlineMs: numberFromEnv(process.env, "STEP_DEADLINE_MS", 10_000),
  outboxLeaseMs: numberFromEnv(process.env, "OUTBOX_LEASE_MS", DEFAULT_OUTBOX_LEASE_MS),
});
stopOnSignals(logger, async () => {
  await service.stop();
  await transport.close();
});
