import type { Delivery, Transport } from "@asyncgen/runtime";
import type { ServiceMetrics } from "./metrics.js";
import { wrapTransport } from "./wrap-transport.js";

/**
 * The transport with every message counted (consumed, published, dead-lettered, redelivered, per queue and type) and
 * each delivery timed from its arrival to its ack or nack. A wrapper, so the runtime itself needs no metrics library.
 */
export function meteredTransport(inner: Transport, metrics: ServiceMetrics): Transport {
  metrics.connectionFrom(() => inner.isConnected());
  const meter = (delivery: Delivery): Delivery => {
    const labels = { queue: delivery.queue, type: delivery.properties.type || "(none)" };
    metrics.consumed.inc(labels);
    if (delivery.deliveryCount > 1) metrics.redelivered.inc(labels);
    const stop = metrics.handlerSeconds.startTimer(labels);
    let timed = false;
    const done = (): void => {
      if (!timed) stop();
      timed = true;
    };
    return {
      ...delivery,
      ack: () => (done(), delivery.ack()),
      nack: (requeue) => (done(), delivery.nack(requeue)),
    };
  };
  return wrapTransport(inner, {
    async publish(message) {
      await inner.publish(message);
      metrics.published.inc({
        queue: message.exchange === "" ? message.routingKey : message.exchange,
        type: message.properties.type || "(none)",
      });
    },
    consume: (queue, onDelivery, options) =>
      inner.consume(queue, (delivery) => onDelivery(meter(delivery)), options),
    async deadLetter(delivery, code, reason) {
      // Through the inner transport's own publish: a dead-letter copy is not counted as published.
      await inner.deadLetter(delivery, code, reason);
      metrics.deadLettered.inc({ queue: delivery.queue, type: delivery.properties.type || "(none)", code });
    },
  });
}
