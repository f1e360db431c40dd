import type { ServiceDatabases } from "@saga/order-service/testing";
import { pendingOutbox } from "./databases.js";
import type { Violation } from "./invariants.js";

/** What the participants did, read from their databases, keyed by the saga (order) it was for. */
export interface Effects {
  /** Tickets by order id. */
  readonly tickets: Map<number, { id: number; state: string }[]>;
  /** Card authorizations by saga id. */
  readonly authorizations: Map<number, { transaction_id: number }[]>;
  /** Consumer verdicts by saga id. */
  readonly verdicts: Map<number, string[]>;
}

export async function readEffects(databases: ServiceDatabases): Promise<Effects> {
  const group = <T>(rows: (T & { key: number })[]) => {
    const map = new Map<number, Omit<T, "key">[]>();
    for (const { key, ...rest } of rows) map.set(Number(key), [...(map.get(Number(key)) ?? []), rest]);
    return map;
  };
  const tickets = await databases.query<{ key: number; id: number; state: string }>(
    "restaurant-service",
    `SELECT order_id AS key, id, state FROM tickets`,
  );
  const authorizations = await databases.query<{ key: number; transaction_id: number }>(
    "accounting-service",
    `SELECT CAST(correlation_id AS INTEGER) AS key, transaction_id FROM card_authorizations`,
  );
  const verdicts = await databases.query<{ key: number; verdict: string }>(
    "consumer-service",
    `SELECT CAST(correlation_id AS INTEGER) AS key, verdict FROM verifications`,
  );
  return {
    tickets: group(tickets),
    authorizations: group(authorizations),
    verdicts: new Map([...group(verdicts)].map(([k, rows]) => [k, rows.map((r) => r.verdict)])),
  };
}

/** Participants' effects recorded for a saga the order service does not have (e.g. a bad message handled). */
export function orphanEffects(sagaIds: ReadonlySet<number>, effects: Effects): Violation[] {
  const out: Violation[] = [];
  for (const [name, map] of Object.entries(effects)) {
    for (const [id, rows] of map as Map<number, unknown[]>) {
      if (!sagaIds.has(id)) {
        out.push({
          invariant: "no effect without an order",
          seen: `${name} for saga ${id}: ${JSON.stringify(rows)}`,
        });
      }
    }
  }
  return out;
}

const PARTICIPANTS = ["consumer-service", "restaurant-service", "accounting-service"] as const;

/** `restaurant_service.create_ticket(.response.success)` -> `create_ticket`: commands and their replies share it. */
const operationOf = (type: string) => type.split(".")[1]!;

/**
 * No command handled twice: for each saga and operation, a participant wrote no more replies (to its outbox) than
 * the order service sent distinct commands (resends carry a new message id; duplicates of one do not count).
 * Participants without an outbox table are skipped (checkOutboxes lists them).
 */
export async function checkRepliesPerCommand(databases: ServiceDatabases): Promise<Violation[]> {
  const perSagaAndType = `SELECT correlation_id AS saga, type, count(*) AS n FROM outbox GROUP BY correlation_id, type`;
  const commands = new Map<string, number>();
  for (const row of await databases.query<{ saga: string; type: string; n: number }>(
    "order-service",
    perSagaAndType,
  ))
    commands.set(`${row.saga} ${operationOf(row.type)}`, Number(row.n));
  const violations: Violation[] = [];
  for (const participant of PARTICIPANTS) {
    if ((await pendingOutbox(databases, participant)) === undefined) continue;
    const replies = await databases.query<{ saga: string; type: string; n: number }>(
      participant,
      perSagaAndType,
    );
    for (const { saga, type, n } of replies) {
      const operation = operationOf(type);
      const sent = commands.get(`${saga} ${operation}`) ?? 0;
      if (Number(n) > sent) {
        violations.push({
          invariant: "no command handled twice",
          order: Number(saga),
          seen: `${participant} wrote ${n} ${type} replies to ${sent} distinct ${operation} commands`,
        });
      }
    }
  }
  return violations;
}
