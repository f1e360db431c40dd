import type { Logger } from "pino";

/** Stops the service cleanly on SIGINT/SIGTERM (in-flight messages are nacked back by the broker, not lost). */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

/**
 * For a start that cannot go on (a broker refusing the login, a missing vhost): one fatal line with the cause, exit
 * code 1, no stack trace for the user to read through.
 */
export function exitOnStartFailure(logger: Logger): (error: unknown) => never {
  return (error) => {
    logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
    process.exit(1);
  };
}
