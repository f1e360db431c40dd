import { connectAmqp, type Transport } from "@asyncgen/runtime";
import type { Logger } from "pino";

/** Socket errors that mean nothing answered at the broker's address (as opposed to a broker that said no). */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

/** The broker (or something else) answered and refused: a wrong password, a missing vhost, not AMQP at all. */
export class BrokerRefusedError extends Error {
  override name = "BrokerRefusedError";
  readonly code = "BROKER_REFUSED";
}

/** The socket error under a connect failure (connectAmqp wraps amqplib's error as its cause). */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current;
}

/** True when nothing answered; otherwise a BrokerRefusedError that says what answered and why it refused. */
export function classifyConnectFailure(error: unknown, redactedUrl: string): true | BrokerRefusedError {
  const cause = rootCause(error);
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && UNREACHABLE.has(code)) return true;
  const message = cause instanceof Error ? cause.message : String(cause);
  const vhost = decodeURIComponent(new URL(redactedUrl).pathname.slice(1)) || "/";
  const reason = /ACCESS[-_]REFUSED/.test(message)
    ? "the login was refused: wrong user name or password (the guest user works only from localhost)"
    : /Expected ConnectionOpenOk; got <ConnectionClose/.test(message) || /NOT[-_]ALLOWED/.test(message)
      ? `the virtual host ${JSON.stringify(vhost)} does not exist or the user may not use it`
      : /Frame size|Unexpected|Expected/.test(message)
        ? `what answered does not speak AMQP 0-9-1 (${message})`
        : message;
  return new BrokerRefusedError(`RabbitMQ at ${redactedUrl} refused the connection: ${reason}`, {
    cause: error,
  });
}

export interface WaitOptions {
  /** Called once, at the first attempt that finds nothing answering. */
  readonly onUnreachable?: () => Promise<void> | void;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Connects to RabbitMQ, waiting with exponential backoff while nothing answers, for a service started alone:
 * waiting beats an in-process broker no other service can reach. A refusal ends the wait at once.
 */
export async function connectWaiting(
  url: string,
  redactedUrl: string,
  logger: Logger,
  connectionName: string,
  options: WaitOptions = {},
): Promise<Transport> {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectAmqp(url, { logger, connectionName });
    } catch (error) {
      const verdict = classifyConnectFailure(error, redactedUrl);
      if (verdict !== true) throw verdict;
      if (attempt === 0) await options.onUnreachable?.();
      const delayMs = Math.min(initial * 2 ** attempt, max);
      logger.warn(
        { broker: "amqp", url: redactedUrl, attempt: attempt + 1, retry_in_ms: delayMs },
        `broker: no RabbitMQ at ${redactedUrl} yet; retrying in ${delayMs} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
