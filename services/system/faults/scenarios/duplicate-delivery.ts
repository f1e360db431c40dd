import type { Scenario } from "./scenario.js";

const SWITCH_ON = "CHAOS_DUPLICATE_DELIVERY=1: every message is published twice";

/**
 * Orders on a system started with CHAOS_DUPLICATE_DELIVERY=1: every command and reply any service publishes goes
 * out twice with the same message id. Fails when a service did not say it has the switch on.
 */
export function duplicateDelivery(orders: number): Scenario {
  return {
    name: `every message delivered twice (${orders} orders)`,
    async run(h) {
      const off = Object.entries(h.system.logs).filter(([, chunks]) => !chunks.join("").includes(SWITCH_ON));
      if (off.length > 0)
        throw new Error(`duplicate delivery is not on in ${off.map(([s]) => s).join(", ")}`);
      const before = h.driver.accepted.size;
      await h.driver.drive(this.name, orders, 60);
      h.faults.add("order with every message delivered twice", h.driver.accepted.size - before);
    },
  };
}
