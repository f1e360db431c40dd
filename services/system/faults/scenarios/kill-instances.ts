import { SERVICES, type ServiceName } from "@saga/order-service/testing";
import { sleep } from "../orders.js";
import { randomBetween, type Scenario } from "./scenario.js";

/**
 * With two instances of every service: SIGKILL of each instance in turn (every service's first instance, then every
 * second one, and so on), at random moments under load. Each is restarted at once, in the background, while its
 * twin keeps working; a service's other instance is killed only once the first is back, so one of each always runs.
 */
export function killInstances(rounds: number): Scenario {
  return {
    name: `SIGKILL each instance of each service (${rounds} kills)`,
    async run(h) {
      const stopDriving = h.driver.keepDriving(this.name, 150);
      const restarting = new Map<ServiceName, Promise<void>>();
      try {
        for (let round = 0; round < rounds; round++) {
          await sleep(randomBetween(200, 1500));
          const service = SERVICES[round % SERVICES.length]!;
          await restarting.get(service); // its twin is up again
          const second = Math.floor(round / SERVICES.length) % 2 === 1;
          const restart = second ? h.killAndRestartOther(service) : h.killAndRestart(service);
          restart.catch(() => {}); // awaited below; a failure fails the scenario there
          restarting.set(service, restart);
        }
      } finally {
        await Promise.all(restarting.values());
        await stopDriving();
      }
    },
  };
}
