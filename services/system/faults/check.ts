import { queueDepths } from "@asyncgen/runtime/testing";
import { SERVICES, waitFor } from "@saga/order-service/testing";
import { drainQueues } from "./broker.js";
import { pendingOutbox, unfinishedSagas } from "./databases.js";
import { checkDeadLetters } from "./dead-letters.js";
import { checkRepliesPerCommand } from "./effects.js";
import type { Harness } from "./harness.js";
import { checkOutboxes, checkSagas, type Violation } from "./invariants.js";

const SETTLE_TIMEOUT_MS = 90_000;

const isDeadLetterQueue = (name: string) => name.endsWith(".dlq");

/** Waits until the system is quiet: sagas finished, outboxes sent, queues empty, every bad message dead-lettered. */
async function settle(h: Harness): Promise<boolean> {
  const quiet = async () => {
    if ((await unfinishedSagas(h.databases)) > 0) return false;
    for (const service of SERVICES) if (((await pendingOutbox(h.databases, service)) ?? 0) > 0) return false;
    const depths = Object.entries(queueDepths(h.vhost.vhost));
    const waiting = depths.filter(([name, n]) => !isDeadLetterQueue(name) && n > 0);
    const deadLettered = depths
      .filter(([name]) => isDeadLetterQueue(name))
      .reduce((sum, [, n]) => sum + n, 0);
    return waiting.length === 0 && deadLettered >= h.injected.length;
  };
  try {
    await waitFor(quiet, SETTLE_TIMEOUT_MS);
    return true;
  } catch {
    return false; // the checks below say what is still pending
  }
}

/**
 * After a scenario: lets the system settle, then checks every invariant. Reads the dead-letter queues empty, so
 * the next scenario starts from clean queues.
 */
export async function settleAndCheck(h: Harness): Promise<Violation[]> {
  const settled = await settle(h);
  const violations: Violation[] = [];
  if (!settled) {
    violations.push({
      invariant: "the system settles",
      seen: `not quiet after ${SETTLE_TIMEOUT_MS / 1000} s`,
    });
  }
  violations.push(...(await checkSagas(h.databases, h.driver.accepted, h.tolerateTimeout)));
  violations.push(...(await checkRepliesPerCommand(h.databases)));
  violations.push(...(await checkOutboxes(h.databases)).violations);
  const depths = queueDepths(h.vhost.vhost);
  for (const [queue, depth] of Object.entries(depths)) {
    if (!isDeadLetterQueue(queue) && depth > 0) {
      violations.push({ invariant: "queues drained", seen: `${queue} holds ${depth} messages` });
    }
  }
  const dlqs = Object.keys(depths).filter(isDeadLetterQueue);
  const taken = await drainQueues(h.vhost.url, dlqs);
  violations.push(...checkDeadLetters(taken, h.injected));
  h.injected.length = 0;
  return violations;
}
