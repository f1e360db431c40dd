import type { ErrorCode } from "./errors.js";
import type { Delivery, OutgoingMessage } from "./transport.js";

/** The dead-letter exchange and queue every declared queue gets. */
export const deadLetterExchange = (queue: string): string => `${queue}.dlx`;
export const deadLetterQueue = (queue: string): string => `${queue}.dlq`;

/** Broker bookkeeping headers that would mislead whoever consumes the dead-letter queue. */
const BROKER_HEADERS = ["x-delivery-count", "x-death", "x-first-death-exchange", "x-first-death-queue"];

/** Long reasons (a stack, a huge validation report) would bloat every header frame. */
const MAX_REASON = 4000;

/** The copy of a delivery that goes to its dead-letter queue: same body and properties, the reason in headers. */
export function deadLetterCopy(delivery: Delivery, code: ErrorCode, reason: string): OutgoingMessage {
  const headers: Record<string, unknown> = { ...delivery.properties.headers };
  for (const name of BROKER_HEADERS) delete headers[name];
  return {
    exchange: deadLetterExchange(delivery.queue),
    routingKey: delivery.queue,
    body: delivery.body,
    properties: {
      ...delivery.properties,
      headers: {
        ...headers,
        "x-error-code": code,
        "x-error-reason": reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason,
        "x-original-queue": delivery.queue,
        "x-original-type": delivery.properties.type,
        "x-original-delivery-count": delivery.deliveryCount,
        "x-dead-lettered-at": new Date().toISOString(),
      },
    },
  };
}
