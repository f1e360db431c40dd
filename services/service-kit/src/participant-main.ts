import { readConfigOrExit, retentionPolicy, type ServiceConfig } from "./config.js";
import { exitOnStartFailure, stopOnSignals } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import { meteredTransport } from "./metered-transport.js";
import { ServiceMetrics, serveMetrics } from "./metrics.js";
import {
  participantDatabaseLocation,
  type ParticipantOptions,
  type RunningParticipant,
} from "./participant.js";
import { openTransport, redactUrl } from "./transport.js";

/**
 * The whole of `npm start -w services/<participant>`: settings from the environment only, the broker (RabbitMQ, or
 * the in-process one, said in one line), the service on `DATABASE_URL` (PostgreSQL) or `<DATA_DIR>/<name>.sqlite`,
 * a line naming the queues it consumes, and a clean stop on SIGINT/SIGTERM.
 */
export async function runParticipant(
  name: string,
  consumes: readonly string[],
  start: (options: ParticipantOptions, config: ServiceConfig) => Promise<RunningParticipant>,
): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger(name, config.logLevel);
  const stopSteps = stopOnSignals(logger);
  // Started alone: waits for RabbitMQ rather than run on an in-process broker no other service reaches.
  const transport = await openTransport(config, logger, name).catch(exitOnStartFailure(logger));
  stopSteps.add(() => transport.close());
  const metrics = new ServiceMetrics(name);
  const location = participantDatabaseLocation(config, name);
  const service = await start(
    {
      transport: meteredTransport(transport, metrics),
      logger,
      ...location,
      metrics,
      retention: retentionPolicy(config),
    },
    config,
  ).catch(async (error: unknown) => {
    // E.g. SAGA_DATABASE_IN_USE: another instance runs on this DATA_DIR. One log line with the code, exit 1.
    logger.fatal({ err: error, code: (error as { code?: string }).code }, `${name} could not start`);
    await transport.close();
    process.exit(1);
  });
  stopSteps.add(() => service.stop());
  // GET /metrics on METRICS_PORT when it is set (each participant run alone needs a port of its own).
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(metrics, config.metricsPort, config.host);
  if (metricsServer) stopSteps.add(() => metricsServer.close());
  if (metricsServer) logger.info({ url: metricsServer.url }, `${name}: metrics on ${metricsServer.url}`);
  const database = "databaseUrl" in location ? redactUrl(location.databaseUrl) : location.databaseFile;
  logger.info({ queues: consumes, database }, `${name}: consuming ${consumes.join(", ")}`);
  if (transport.kind === "in-process") {
    logger.warn({}, "the in-process broker reaches only this process: run `npm start` for the whole system");
  }
  // The in-process broker holds no socket open: keep the process up until a signal stops it.
  const keepAlive = setInterval(() => {}, 1 << 30);
  stopSteps.add(() => clearInterval(keepAlive));
}
