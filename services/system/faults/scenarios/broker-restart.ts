import { restartBroker } from "../broker.js";
import { sleep } from "../orders.js";
import { randomBetween, type Scenario } from "./scenario.js";

/** RabbitMQ's application stopped and started under load: every connection drops, the services reconnect. */
export function brokerRestarts(restarts: number, downMs: number): Scenario {
  return {
    name: `RabbitMQ restart (${restarts} x stop_app/start_app, ${downMs} ms down)`,
    async run(h) {
      const stopDriving = h.driver.keepDriving(this.name, 200);
      try {
        for (let i = 0; i < restarts; i++) {
          await sleep(randomBetween(500, 1500));
          await restartBroker(downMs);
          h.faults.add("RabbitMQ restart");
          await h.healthy();
        }
      } finally {
        await stopDriving();
      }
    },
  };
}
