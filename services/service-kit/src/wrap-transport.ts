import type { Transport } from "@asyncgen/runtime";

/** A transport that does what `inner` does, except for the methods given in `overrides`. */
export function wrapTransport(inner: Transport, overrides: Partial<Omit<Transport, "kind">>): Transport {
  return {
    kind: inner.kind,
    isConnected: () => inner.isConnected(),
    declareQueue: (spec) => inner.declareQueue(spec),
    publish: (message) => inner.publish(message),
    consume: (queue, onDelivery, options) => inner.consume(queue, onDelivery, options),
    deadLetter: (delivery, code, reason) => inner.deadLetter(delivery, code, reason),
    sweep: (queue, decide, options) => inner.sweep(queue, decide, options),
    queueDepth: (queue) => inner.queueDepth(queue),
    close: () => inner.close(),
    ...overrides,
  };
}
