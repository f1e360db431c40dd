import type { Transport } from "@asyncgen/runtime";
import { wrapTransport } from "./wrap-transport.js";

/**
 * TEST ONLY (the fault suite, `npm run test:faults`): a transport whose every publish goes out twice with the same
 * message id, one after the other, so every receiver sees every message delivered twice. Enabled by
 * `CHAOS_DUPLICATE_DELIVERY=1`; never set it in production.
 */
export function duplicatingTransport(inner: Transport): Transport {
  return wrapTransport(inner, {
    async publish(message) {
      await inner.publish(message);
      await inner.publish(message);
    },
  });
}
