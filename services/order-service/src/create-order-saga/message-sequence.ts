import type { AnsweredCommand, SagaDefinition } from "@asyncgen/saga";

/**
 * A saga's messages in order, for its sequence diagram: every command the orchestrator sent (its outbox rows, the
 * record of what it sent) and every reply it applied. Replies are not stored as such; each one is read back from the
 * transition it caused (the history entry after the command), with the rules the saga engine follows: a deadline
 * notes `deadline: "passed"`, a success moves on, a failure compensates (or, after the pivot, notes `retry`).
 */

/** One arrow of the diagram. Commands go from the orchestrator to a participant, replies back. */
export interface SequenceMessage {
  readonly kind: "command" | "reply";
  /** The wire type, e.g. `restaurant_service.create_ticket`. */
  readonly type: string;
  readonly from: string;
  readonly to: string;
  readonly step: string;
  readonly phase: "action" | "compensation";
  /** A command: when it was queued in the outbox; a reply: when the transition it caused was committed. */
  readonly at: string;
  /** A command: `sent`, `pending` (still in the outbox) or `parked` (the broker kept refusing it); a reply: its outcome. */
  readonly status: "sent" | "pending" | "parked" | "success" | "failure";
  /** Commands: 1 for the first send, more for resends after a deadline. */
  readonly attempt?: number;
}

export interface SagaSequence {
  readonly saga_id: number;
  readonly status: string;
  /** The lanes, orchestrator first, then the participants in the order the saga's steps reach them. */
  readonly services: readonly string[];
  readonly messages: readonly SequenceMessage[];
}

/** An outbox row of the saga, as the store keeps it. */
export interface SentCommand {
  readonly type: string;
  readonly created_at: string;
  readonly sent_at: string | null;
  readonly parked_at: string | null;
}

export interface SagaHistory {
  readonly id: number;
  readonly status: string;
  readonly failed_step: string | null;
  readonly failure_details: unknown;
  readonly history?: readonly { status: string; at: string; detail?: unknown }[];
}

interface Awaited {
  readonly step: string;
  readonly phase: "action" | "compensation";
  readonly spec: AnsweredCommand;
}

/** The service a wire type belongs to: its first segment (`consumer_service.verify_consumer_details`). */
const serviceOf = (type: string): string => type.split(".")[0]!;

export function sagaSequence<Data>(
  definition: SagaDefinition<Data>,
  orchestrator: string,
  saga: SagaHistory,
  commands: readonly SentCommand[],
): SagaSequence {
  const byType = new Map<string, Awaited>();
  for (const step of definition.steps) {
    for (const phase of ["action", "compensation"] as const) {
      const action = step[phase];
      if (action?.kind === "remote")
        byType.set(action.spec.message.name, { step: step.name, phase, spec: action.spec });
    }
  }
  const services = [orchestrator, ...new Set([...byType.keys()].map(serviceOf))];
  const messages: SequenceMessage[] = [];
  const attempts = new Map<string, number>();
  let next = 0;
  let awaited: Awaited | undefined;
  for (const entry of saga.history ?? []) {
    const detail = (entry.detail ?? {}) as Record<string, unknown>;
    if (awaited) {
      const outcome = replyOutcome(awaited, entry.status, detail, saga);
      const reply = outcome && awaited.spec.replies[outcome];
      if (reply) {
        const { step, phase } = awaited;
        messages.push({
          kind: "reply",
          type: reply.name,
          from: serviceOf(reply.name),
          to: orchestrator,
          step,
          phase,
          at: entry.at,
          status: outcome,
        });
      }
      awaited = undefined;
    }
    const command = commands[next];
    const sent = command && byType.get(command.type);
    if (command && sent && sends(entry.status, detail, sent)) {
      const attempt = (attempts.get(command.type) ?? 0) + 1;
      attempts.set(command.type, attempt);
      messages.push({
        kind: "command",
        type: command.type,
        from: orchestrator,
        to: serviceOf(command.type),
        step: sent.step,
        phase: sent.phase,
        at: command.created_at,
        status: command.sent_at ? "sent" : command.parked_at ? "parked" : "pending",
        attempt,
      });
      awaited = sent;
      next++;
    }
  }
  return { saga_id: saga.id, status: saga.status, services, messages };
}

/** Whether a history entry is the one whose transition queued this command (the last entry of a transition that sends). */
function sends(status: string, detail: Record<string, unknown>, command: Awaited): boolean {
  if (detail.resent !== undefined) return true;
  // A failure after the pivot only notes the retry; the deadline's resend sends the command again.
  if (detail.retry !== undefined) return false;
  return status === `${command.step}.${command.phase === "action" ? "running" : "compensating"}`;
}

/** Which reply caused the transition starting with this entry, if a reply did (not a deadline). */
function replyOutcome(
  awaited: Awaited,
  status: string,
  detail: Record<string, unknown>,
  saga: SagaHistory,
): "success" | "failure" | undefined {
  if (detail.deadline === "passed") return undefined;
  // Only a compensation's success reply changes anything.
  if (awaited.phase === "compensation") return "success";
  if (detail.retry !== undefined) return "failure";
  if (typeof detail.reply === "string" && detail.reply.startsWith("failure")) return "failure";
  // A late success for a step given up on at its deadline: the step itself is compensated.
  if (status === `${awaited.step}.compensating`) return "success";
  if (status.endsWith(".compensating")) {
    const details = saga.failure_details as { type?: unknown } | null;
    const gaveUp = saga.failed_step === awaited.step && details?.type === "DeadlineExceeded";
    return gaveUp ? undefined : "failure";
  }
  return "success";
}
