import { currentTrace } from "@asyncgen/runtime";
import { pino, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * Structured logs (pino); every line names its service. JSON lines by default; readable lines for people with
 * `LOG_PRETTY=1`, or when stdout is a terminal and LOG_PRETTY is not `0`.
 */
export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL ?? "info",
  env: NodeJS.ProcessEnv = process.env,
  /** Where JSON lines go instead of stdout (tests). */
  destination?: DestinationStream,
): Logger {
  const options = { name: service, level, base: { service }, mixin: traceFields };
  if (destination) return pino(options, destination);
  return wantsPretty(env) ? pino(options, prettyStream()) : pino(options);
}

/** While a message is handled (or work runs in withTrace()), every line names its trace and hop. */
function traceFields(): Record<string, string> {
  const trace = currentTrace();
  return trace ? { trace_id: trace.traceId, span_id: trace.spanId } : {};
}

/** LOG_PRETTY=1 forces readable logs, LOG_PRETTY=0 JSON; unset, a terminal gets readable ones. */
export function wantsPretty(
  env: Readonly<Record<string, string | undefined>>,
  isTty = process.stdout.isTTY === true,
): boolean {
  if (env.LOG_PRETTY === "1" || env.LOG_PRETTY === "true") return true;
  if (env.LOG_PRETTY === "0" || env.LOG_PRETTY === "false") return false;
  return isTty;
}

/** Synchronous (no worker thread), one line per entry: time, level, service, message, then the fields. */
function prettyStream(): DestinationStream {
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname,name,service",
    messageFormat: "{service} {msg}",
  });
}

export type { Logger };
