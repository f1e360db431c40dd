import { closeConnections } from "@asyncgen/runtime/testing";
import { sleep } from "../orders.js";
import { randomBetween, type Scenario } from "./scenario.js";

/** Every connection of the vhost closed by the broker (forced), at random moments under load. */
export function connectionCloses(times: number): Scenario {
  return {
    name: `forced connection close (${times} x, all four services)`,
    async run(h) {
      const stopDriving = h.driver.keepDriving(this.name, 150);
      try {
        for (let i = 0; i < times; i++) {
          await sleep(randomBetween(300, 1500));
          closeConnections(h.vhost.vhost);
          h.faults.add("forced connection close");
        }
      } finally {
        await stopDriving();
      }
    },
  };
}
