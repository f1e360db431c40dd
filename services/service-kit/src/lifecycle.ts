import type { Logger } from "pino";

/** What a service stops on SIGINT/SIGTERM, added as each part starts. */
export interface StopSteps {
  /** Runs on a signal, before the steps added earlier (the last part started stops first). */
  add(step: () => Promise<void> | void): void;
}

/**
 * Stops the service cleanly on SIGINT/SIGTERM (in-flight messages are nacked back by the broker, not lost). Call it
 * before anything starts: until a handler is installed a signal takes the default action and kills the process
 * mid-write, and a supervisor sends one as soon as it reads the "up" line, so one may arrive while the service
 * starts or right after it says it is up. Such a signal stops what has started so far.
 */
export function stopOnSignals(logger: Logger): StopSteps {
  const steps: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    runInReverse(steps).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return { add: (step) => void steps.push(step) };
}

async function runInReverse(steps: readonly (() => Promise<void> | void)[]): Promise<void> {
  for (const step of [...steps].reverse()) await step();
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
