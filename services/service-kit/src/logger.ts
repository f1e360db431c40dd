import { pino, type Logger } from "pino";

/** Structured JSON logs (pino); every line names its service. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name: service, level, base: { service } });
}

export type { Logger };
