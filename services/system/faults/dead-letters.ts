import type { DeadLetter } from "./broker.js";
import type { InjectedMessage } from "./harness.js";
import type { Violation } from "./invariants.js";

/**
 * The dead-letter queues must hold exactly the bad messages the suite injected: each one once, with the code its
 * fault calls for, a reason and its original queue; anything else there is a message the system failed to handle.
 */
export function checkDeadLetters(
  taken: readonly DeadLetter[],
  injected: readonly InjectedMessage[],
): Violation[] {
  const violations: Violation[] = [];
  const byId = new Map<string | undefined, DeadLetter[]>();
  for (const letter of taken) byId.set(letter.messageId, [...(byId.get(letter.messageId) ?? []), letter]);
  for (const message of injected) {
    const copies = byId.get(message.messageId) ?? [];
    byId.delete(message.messageId);
    const what = `${message.label} ${message.messageId} into ${message.queue}`;
    if (copies.length !== 1) {
      violations.push({
        invariant: "each bad message dead-lettered once",
        seen: `${what}: ${copies.length} copies`,
      });
      if (copies.length === 0) continue;
    }
    const headers = copies[0]!.headers;
    const code = headers["x-error-code"];
    const reason = headers["x-error-reason"];
    if (code !== message.code || typeof reason !== "string" || reason.length === 0) {
      violations.push({
        invariant: "dead letter says why",
        seen: `${what}: expected ${message.code} with a reason, saw code ${String(code)}, reason ${JSON.stringify(reason)}`,
      });
    }
    if (headers["x-original-queue"] !== message.queue || copies[0]!.queue !== `${message.queue}.dlq`) {
      violations.push({
        invariant: "dead letter names its queue",
        seen: `${what}: found in ${copies[0]!.queue}, x-original-queue ${String(headers["x-original-queue"])}`,
      });
    }
  }
  for (const letters of byId.values()) {
    for (const letter of letters) {
      violations.push({
        invariant: "dead-letter queues hold only the injected bad messages",
        order: Number(letter.correlationId) || undefined,
        seen:
          `${letter.queue}: ${letter.type} ${letter.messageId} (correlation ${letter.correlationId}), ` +
          `${String(letter.headers["x-error-code"])}: ${String(letter.headers["x-error-reason"])}`,
      });
    }
  }
  return violations;
}
