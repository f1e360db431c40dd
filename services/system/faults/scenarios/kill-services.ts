import { SERVICES } from "@saga/order-service/testing";
import { sleep } from "../orders.js";
import { randomBetween, type Scenario } from "./scenario.js";

/** SIGKILL of each service, at random moments under load, each restarted at once. */
export function killServices(rounds: number): Scenario {
  return {
    name: `SIGKILL each service (${rounds} kills)`,
    async run(h) {
      const stopDriving = h.driver.keepDriving(this.name, 150);
      try {
        for (let round = 0; round < rounds; round++) {
          await sleep(randomBetween(200, 1500));
          await h.killAndRestart(SERVICES[round % SERVICES.length]!);
        }
      } finally {
        await stopDriving();
      }
    },
  };
}
