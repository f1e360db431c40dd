import { connectAmqp, createInProcessTransport, hasCode, type Transport } from "@asyncgen/runtime";
import type { Logger } from "pino";
import { duplicatingTransport } from "./chaos.js";
import type { ServiceConfig } from "./config.js";

/** Redacts the password of an AMQP URL for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/**
 * Opens the broker transport; `CHAOS_DUPLICATE_DELIVERY=1` (TEST ONLY, for the fault suite) makes every publish go
 * out twice with the same message id.
 */
export async function openTransport(config: ServiceConfig, logger: Logger, name: string): Promise<Transport> {
  const transport = await openBroker(config, logger, name);
  if (process.env.CHAOS_DUPLICATE_DELIVERY !== "1") return transport;
  logger.warn(
    { chaos: "duplicate-delivery" },
    "CHAOS_DUPLICATE_DELIVERY=1: every message is published twice (test only)",
  );
  return duplicatingTransport(transport);
}

/**
 * Connects to RabbitMQ; in `auto` mode falls back to the in-process broker when nothing answers, and says which in
 * one line. The in-process broker only connects services inside the same process.
 */
async function openBroker(config: ServiceConfig, logger: Logger, name: string): Promise<Transport> {
  if (config.broker === "in-process") {
    logger.info({ broker: "in-process" }, "broker: in-process (BROKER=in-process)");
    return createInProcessTransport({ logger });
  }
  try {
    const transport = await connectAmqp(config.amqpUrl, { logger, connectionName: name });
    logger.info(
      { broker: "amqp", url: redactUrl(config.amqpUrl) },
      `broker: RabbitMQ at ${redactUrl(config.amqpUrl)}`,
    );
    return transport;
  } catch (error) {
    if (config.broker === "amqp" || !hasCode(error, "AMQP_CONNECTION_LOST")) throw error;
    logger.warn(
      { broker: "in-process", url: redactUrl(config.amqpUrl) },
      `broker: no RabbitMQ at ${redactUrl(config.amqpUrl)}; running on the embedded in-process broker`,
    );
    return createInProcessTransport({ logger });
  }
}
