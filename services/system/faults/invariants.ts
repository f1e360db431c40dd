import { SERVICES, type ServiceDatabases } from "@saga/order-service/testing";
import { jsonField, pendingOutbox } from "./databases.js";
import { orphanEffects, readEffects, type Effects } from "./effects.js";
import type { AcceptedOrder, Expected } from "./orders.js";

/** One broken invariant: which one, for which order (when it is about one), and what was seen. */
export interface Violation {
  readonly invariant: string;
  readonly order?: number | undefined;
  readonly seen: string;
}

interface SagaRow {
  id: number;
  status: string;
  failed_step: string | null;
  failure_type: string | null;
  order_status: string | null;
  consumer_id: number | null;
  price: number | null;
  max_quantity: number | null;
  restaurant_ticket_id: number | null;
  transaction_id: number | null;
}

/** What the saga must end in, from the order as stored (so orders whose 202 was lost are judged too). */
export function expectedOutcome(order: Pick<SagaRow, "consumer_id" | "price" | "max_quantity">): Expected {
  if (order.consumer_id! < 50) return { order: "rejected", failedStep: "verify_consumer_details" };
  if (order.max_quantity === 100500) return { order: "rejected", failedStep: "create_restaurant_ticket" };
  if (order.price! >= 50) return { order: "rejected", failedStep: "authorize_card" };
  return { order: "approved", failedStep: null };
}

/** Every saga with its order and what decides its outcome. */
const readSagas = (databases: ServiceDatabases): Promise<SagaRow[]> =>
  databases.query<SagaRow>(
    "order-service",
    `SELECT s.id, s.status, s.failed_step, ${jsonField(databases, "s.failure_details", "type")} AS failure_type,
            o.status AS order_status, o.consumer_id, o.price, o.restaurant_ticket_id, o.transaction_id,
            (SELECT max(quantity) FROM order_items i WHERE i.order_id = s.id) AS max_quantity
     FROM sagas s LEFT JOIN orders o ON o.id = s.id ORDER BY s.id`,
  );

/**
 * The saga invariants over every order in the order service's database and the participants' effects: each
 * accepted order exists and ended approved or rejected as its input dictates (or, in `tolerateTimeout`, rejected
 * with DeadlineExceeded at the step named), with the consumer's verdict; an approved order has exactly one approved
 * ticket and one authorization; a rejected one has no live ticket and no authorization; no effect belongs to no
 * order; no saga transition was applied twice.
 */
export async function checkSagas(
  databases: ServiceDatabases,
  accepted: ReadonlyMap<number, AcceptedOrder>,
  tolerateTimeout: ReadonlyMap<number, string> = new Map(),
): Promise<Violation[]> {
  const sagas = await readSagas(databases);
  const repeated = await repeatedTransitions(databases);
  const effects = await readEffects(databases);
  const violations: Violation[] = [];
  const byId = new Map(sagas.map((s) => [s.id, s]));
  for (const order of accepted.values()) {
    if (!byId.has(order.id)) {
      violations.push({
        invariant: "order lost",
        order: order.id,
        seen: "accepted (202) but not in the database",
      });
    }
  }
  for (const saga of sagas) {
    violations.push(...checkOne(saga, accepted.get(saga.id), tolerateTimeout.get(saga.id), effects));
    for (const status of repeated.get(saga.id) ?? []) {
      violations.push({
        invariant: "no transition applied twice",
        order: saga.id,
        seen: `${status} recorded twice`,
      });
    }
  }
  violations.push(...orphanEffects(new Set(byId.keys()), effects));
  return violations;
}

function checkOne(
  saga: SagaRow,
  accepted: AcceptedOrder | undefined,
  timeoutAt: string | undefined,
  effects: Effects,
): Violation[] {
  const v = (invariant: string, seen: string): Violation => ({ invariant, order: saga.id, seen });
  if (saga.status !== "succeeded" && saga.status !== "failed") {
    const invariant = accepted ? "order lost (accepted, never finished)" : "every saga finishes";
    return [v(invariant, `saga still ${saga.status}, order ${saga.order_status}`)];
  }
  const ended = saga.status === "succeeded" ? "approved" : "rejected";
  const out: Violation[] = [];
  if (saga.order_status !== ended) {
    out.push(v("order matches its saga", `saga ${saga.status}, order ${saga.order_status}`));
  }
  const expected = expectedOutcome(saga);
  const timedOut =
    timeoutAt !== undefined && saga.failed_step === timeoutAt && saga.failure_type === "DeadlineExceeded";
  if (!timedOut && (ended !== expected.order || saga.failed_step !== expected.failedStep)) {
    out.push(
      v(
        `ended as its input dictates (${accepted?.kind ?? "order"})`,
        `expected ${expected.order}${expected.failedStep ? ` at ${expected.failedStep}` : ""}, ` +
          `saw ${ended}${saga.failed_step ? ` at ${saga.failed_step}` : ""}`,
      ),
    );
  }
  return [...out, ...checkEffects(saga, ended, effects).map(([invariant, seen]) => v(invariant, seen))];
}

/** The participants' effects an order that ended this way must (and must not) have: [invariant, seen] pairs. */
function checkEffects(saga: SagaRow, ended: "approved" | "rejected", effects: Effects): [string, string][] {
  const out: [string, string][] = [];
  const tickets = effects.tickets.get(saga.id) ?? [];
  const authorizations = effects.authorizations.get(saga.id) ?? [];
  const ticketsSeen = `tickets ${JSON.stringify(tickets)}`;
  const authorizationsSeen = `authorizations ${JSON.stringify(authorizations)}`;
  if (ended === "approved") {
    const approved = tickets.filter((t) => t.state === "approved");
    if (tickets.length !== 1 || approved.length !== 1 || approved[0]!.id !== saga.restaurant_ticket_id) {
      out.push([
        "approved: exactly one approved ticket",
        `${ticketsSeen}, order says ${saga.restaurant_ticket_id}`,
      ]);
    }
    if (authorizations.length !== 1 || authorizations[0]!.transaction_id !== saga.transaction_id) {
      out.push([
        "approved: exactly one card authorization",
        `${authorizationsSeen}, order says transaction ${saga.transaction_id}`,
      ]);
    }
  } else {
    if (tickets.some((t) => t.state !== "rejected")) out.push(["rejected: no live ticket", ticketsSeen]);
    if (authorizations.length > 0) out.push(["rejected: no card authorization", authorizationsSeen]);
  }
  // Every saga starts by verifying the consumer: its verdict must be recorded, and be the rule's.
  const verdict = effects.verdicts.get(saga.id)?.[0];
  const rule = saga.consumer_id! < 50 ? "refused" : "accepted";
  if (verdict !== rule) out.push(["the consumer's verdict is recorded", `expected ${rule}, saw ${verdict}`]);
  return out;
}

/** Statuses a saga's history records more than once as a transition (resend and retry entries carry a detail). */
async function repeatedTransitions(databases: ServiceDatabases): Promise<Map<number, string[]>> {
  const rows = await databases.query<{ saga_id: number; status: string }>(
    "order-service",
    `SELECT saga_id, status FROM saga_history WHERE detail IS NULL
     GROUP BY saga_id, status HAVING count(*) > 1`,
  );
  const out = new Map<number, string[]>();
  for (const row of rows) out.set(row.saga_id, [...(out.get(row.saga_id) ?? []), row.status]);
  return out;
}

/** Unsent outbox rows per service; which services have an outbox table and which have none. */
export async function checkOutboxes(databases: ServiceDatabases): Promise<{
  violations: Violation[];
  checked: string[];
  withoutOutbox: string[];
}> {
  const result = { violations: [] as Violation[], checked: [] as string[], withoutOutbox: [] as string[] };
  for (const service of SERVICES) {
    const pending = await pendingOutbox(databases, service);
    if (pending === undefined) {
      result.withoutOutbox.push(service);
      continue;
    }
    result.checked.push(service);
    if (pending > 0) {
      result.violations.push({
        invariant: "outboxes drained",
        seen: `${service}: ${pending} outbox rows never sent`,
      });
    }
  }
  return result;
}
