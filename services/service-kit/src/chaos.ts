import type { Transport } from "@saga/runtime";

/**
 * TEST ONLY (the fault suite, `npm run test:faults`): a transport whose every publish goes out twice with the same
 * message id, one after the other, so every receiver sees every message delivered twice. Enabled by
 * `CHAOS_DUPLICATE_DELIVERY=1`; never set it in production.
 */
export function duplicatingTransport(inner: Transport): Transport {
  return {
    kind: inner.kind,
    isConnected: () => inner.isConnected(),
    declareQueue: (spec) => inner.declareQueue(spec),
    async publish(message) {
      await inner.publish(message);
      await inner.publish(message);
    },
    consume: (queue, onDelivery, options) => inner.consume(queue, onDelivery, options),
    deadLetter: (delivery, code, reason) => inner.deadLetter(delivery, code, reason),
    sweep: (queue, decide, options) => inner.sweep(queue, decide, options),
    queueDepth: (queue) => inner.queueDepth(queue),
    close: () => inner.close(),
  };
}
