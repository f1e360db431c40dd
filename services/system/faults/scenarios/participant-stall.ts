import type { Harness } from "../harness.js";
import { sleep } from "../orders.js";
import type { Scenario } from "./scenario.js";

const PARTICIPANTS = ["consumer-service", "restaurant-service", "accounting-service"] as const;
type Participant = (typeof PARTICIPANTS)[number];

/** Frozen (SIGSTOP): the connection stays open and the deliveries it holds stay unacknowledged until SIGCONT. */
async function frozen(h: Harness, participant: Participant, ms: number): Promise<void> {
  await h.signal(participant, "SIGSTOP");
  try {
    await sleep(ms);
  } finally {
    await h.signal(participant, "SIGCONT");
  }
}

/** Shut down (SIGTERM, graceful) and started again later: its queue fills meanwhile. */
async function down(h: Harness, participant: Participant, ms: number): Promise<void> {
  await h.signal(participant, "SIGTERM");
  await sleep(ms);
  await h.restart(participant);
}

/**
 * Each participant stopped for longer than a step deadline while orders keep coming, so the orchestrator resends
 * its commands; once frozen, once shut down. Shorter than the ~15 deadlines after which a step before the pivot
 * gives up, so every order must still end as its input dictates.
 */
export function participantStalls(stepDeadlineMs: number): Scenario {
  const stallMs = Math.round(stepDeadlineMs * 2.5);
  return {
    name: `participant stopped ${stallMs} ms (> step deadline ${stepDeadlineMs} ms), each frozen and shut down`,
    async run(h) {
      const resentBefore = h.resentCommands();
      for (const participant of PARTICIPANTS) {
        for (const [how, stop] of [
          ["frozen", frozen],
          ["shut down", down],
        ] as const) {
          const stopDriving = h.driver.keepDriving(this.name, 200);
          try {
            await stop(h, participant, stallMs);
            h.faults.add(`participant ${how} > step deadline (${participant})`);
          } finally {
            await stopDriving();
          }
        }
      }
      if (h.resentCommands() === resentBefore) {
        throw new Error(
          "no command was resent: the stops did not outlast a step deadline, nothing was tested",
        );
      }
    },
  };
}
