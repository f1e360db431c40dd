import { waitFor } from "@saga/order-service/testing";
import { unfinishedSagas } from "../databases.js";
import type { Harness } from "../harness.js";
import { sleep } from "../orders.js";
import type { Scenario } from "./scenario.js";

/** The saga step whose command each participant answers first. */
const FIRST_STEP = {
  "consumer-service": "verify_consumer_details",
  "restaurant-service": "create_restaurant_ticket",
  "accounting-service": "authorize_card",
} as const;

/**
 * Each participant down for longer than the orchestrator waits for one step (before the pivot it gives the step up
 * after its resends: ~15 step deadlines), with orders placed meanwhile. Those orders may end rejected at that step
 * with DeadlineExceeded (h.tolerateTimeout), but every other invariant holds: above all, a rejected order has no
 * live ticket and no card authorization once the participant is back and works through the commands it missed.
 * Every saga ends before the next participant goes down: one whose step was not yet given up when its participant
 * came back would otherwise meet the next outage at a later step, and end rejected there instead of where it is
 * tolerated. Fails when no saga gave a step up, as then nothing here was tested.
 */
export function participantOutages(stepDeadlineMs: number): Scenario {
  const downMs = stepDeadlineMs * 20;
  return {
    name: `participant down ${downMs} ms (past the step's give-up, ~15 deadlines of ${stepDeadlineMs} ms)`,
    async run(h: Harness) {
      const givenUpBefore = await h.sagasGivenUp();
      for (const [participant, step] of Object.entries(FIRST_STEP) as [keyof typeof FIRST_STEP, string][]) {
        const before = new Set(h.driver.accepted.keys());
        await h.signal(participant, "SIGTERM");
        await h.driver.drive(this.name, 6, 100);
        await sleep(downMs);
        await h.restart(participant);
        h.faults.add(`participant down past the give-up (${participant})`);
        for (const id of h.driver.accepted.keys()) if (!before.has(id)) h.tolerateTimeout.set(id, step);
        await waitFor(
          async () => (await unfinishedSagas(h.databases)) === 0,
          60_000,
          () => `: sagas still running after ${participant} came back`,
        );
      }
      if ((await h.sagasGivenUp()) === givenUpBefore) {
        throw new Error(
          "no saga gave a step up: the outages did not outlast the give-up, nothing was tested",
        );
      }
    },
  };
}
