import { readConfig } from "./config.js";
import { stopOnSignals } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import type { ParticipantOptions, RunningParticipant } from "./participant.js";
import { openTransport } from "./transport.js";

/**
 * The whole of `npm start -w services/<participant>`: settings from the environment only, the broker (RabbitMQ, or
 * the in-process one, said in one line), the service on `<DATA_DIR>/<name>.sqlite`, a line naming the queues it
 * consumes, and a clean stop on SIGINT/SIGTERM.
 */
export async function runParticipant(
  name: string,
  consumes: readonly string[],
  start: (options: ParticipantOptions) => Promise<RunningParticipant>,
): Promise<void> {
  const config = readConfig();
  const logger = createLogger(name, config.logLevel);
  const transport = await openTransport(config, logger, name);
  const service = await start({ transport, logger, databaseFile: `${config.dataDir}/${name}.sqlite` });
  logger.info({ queues: consumes }, `${name}: consuming ${consumes.join(", ")}`);
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
}
