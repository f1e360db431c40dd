import { connectAmqp, createInProcessTransport, type Transport } from "@asyncgen/runtime";
import type { Logger } from "pino";
import { classifyConnectFailure, connectWaiting } from "./broker-connect.js";
import { duplicatingTransport } from "./chaos.js";
import type { ServiceConfig } from "./config.js";

/** Redacts the password of an AMQP URL for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

export interface OpenTransportOptions {
  /**
   * With `BROKER=auto`, what to do while nothing answers at `AMQP_URL`: `in-process` runs on the embedded broker
   * (only `npm start`, where all four services share the process), `wait` retries with backoff (a service started
   * alone: an in-process broker would reach no other service). Default `wait`.
   */
  readonly whenUnreachable?: "in-process" | "wait";
  /** Called once when the first attempt finds nothing answering and the service waits (e.g. to answer 503). */
  readonly onUnreachable?: () => Promise<void> | void;
}

/**
 * Opens the broker transport. Falls back or waits only when nothing answers; a broker that refuses (wrong password,
 * missing vhost, not AMQP) is a BrokerRefusedError naming the cause. `CHAOS_DUPLICATE_DELIVERY=1` (TEST ONLY, for
 * the fault suite) makes every publish go out twice with the same message id.
 */
export async function openTransport(
  config: ServiceConfig,
  logger: Logger,
  name: string,
  options: OpenTransportOptions = {},
): Promise<Transport> {
  const transport = await openBroker(config, logger, name, options);
  if (process.env.CHAOS_DUPLICATE_DELIVERY !== "1") return transport;
  logger.warn(
    { chaos: "duplicate-delivery" },
    "CHAOS_DUPLICATE_DELIVERY=1: every message is published twice (test only)",
  );
  return duplicatingTransport(transport);
}

async function openBroker(
  config: ServiceConfig,
  logger: Logger,
  name: string,
  options: OpenTransportOptions,
): Promise<Transport> {
  if (config.broker === "in-process") {
    logger.info({ broker: "in-process" }, "broker: in-process (BROKER=in-process)");
    return createInProcessTransport({ logger });
  }
  const url = redactUrl(config.amqpUrl);
  let transport: Transport;
  if (config.broker === "auto" && (options.whenUnreachable ?? "wait") === "wait") {
    transport = await connectWaiting(config.amqpUrl, url, logger, name, {
      ...(options.onUnreachable ? { onUnreachable: options.onUnreachable } : {}),
    });
  } else {
    try {
      transport = await connectAmqp(config.amqpUrl, { logger, connectionName: name });
    } catch (error) {
      const unreachable = classifyConnectFailure(error, url);
      if (unreachable !== true) throw unreachable;
      if (config.broker === "amqp") throw error;
      logger.warn(
        { broker: "in-process", url },
        `broker: no RabbitMQ at ${url}; running on the embedded in-process broker`,
      );
      return createInProcessTransport({ logger });
    }
  }
  logger.info({ broker: "amqp", url }, `broker: RabbitMQ at ${url}`);
  return transport;
}
