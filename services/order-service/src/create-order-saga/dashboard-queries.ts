import type { SagaDefinition, SqlReader } from "@asyncgen/saga";
import { sagaSequence, type SagaSequence, type SentCommand } from "./message-sequence.js";
import type { OrderQueries } from "./order-store.js";
import {
  activityWindow,
  LATENCY_ENTRIES,
  stepLatencies,
  THROUGHPUT_PREDICATE,
  throughputBuckets,
  waitingStatuses,
  type SagaActivity,
} from "./saga-activity.js";

/** The lane of the orchestrator in sequence diagrams: its wire name, like the participants' (`consumer_service`). */
export const ORCHESTRATOR_SERVICE = "order_service";

/** Sagas started and finished per second since `?`, by status: read through the partial index of those entries. */
export const THROUGHPUT_QUERY = `SELECT substr(at, 1, 19) AS second, status, COUNT(*) AS n FROM saga_history
  WHERE at >= ? AND ${THROUGHPUT_PREDICATE} GROUP BY substr(at, 1, 19), status`;

/**
 * The read side of the dashboard's pictures: the charts' numbers and a saga's messages, from the saga history and
 * the outbox; the same statements on SQLite and PostgreSQL (ISO times compare and cut the same as text on both).
 */
export class DashboardQueries<Data> {
  readonly #db: SqlReader;
  readonly #orders: OrderQueries;
  readonly #definition: SagaDefinition<Data>;

  constructor(db: SqlReader, orders: OrderQueries, definition: SagaDefinition<Data>) {
    this.#db = db;
    this.#orders = orders;
    this.#definition = definition;
  }

  /** The saga's commands and replies in order; undefined for an unknown saga. */
  async sequence(id: number): Promise<SagaSequence | undefined> {
    const saga = await this.#orders.saga(id);
    if (!saga) return undefined;
    const commands = await this.#db.all<SentCommand>(
      `SELECT type, created_at, sent_at, parked_at FROM outbox WHERE correlation_id = ? ORDER BY id`,
      [String(id)],
    );
    return sagaSequence(this.#definition, ORCHESTRATOR_SERVICE, saga, commands);
  }

  /** Sagas started and finished over the last `minutes`, and each remote step's p50/p99 wait in that time. */
  async activity(minutes: number, now = Date.now()): Promise<SagaActivity> {
    const window = activityWindow(minutes, now);
    const since = new Date(window.since).toISOString();
    const perSecond = await this.#db.all<{ second: string; status: string; n: number | string }>(
      THROUGHPUT_QUERY,
      [since],
    );
    const waiting = waitingStatuses(this.#definition);
    // The newest history entries only (ids follow time), so the work is bounded however busy the window was; each
    // wait ends at its saga's next entry, the reply's (or the deadline's) transition, which is newer still.
    // MATERIALIZED keeps SQLite reading the id range rather than walking a whole index in partition order.
    const waits = await this.#db.all<{ status: string; at: string; next_at: string }>(
      `WITH recent AS MATERIALIZED (
         SELECT id, saga_id, status, at FROM saga_history
         WHERE id > (SELECT COALESCE(MAX(id), 0) FROM saga_history) - ? AND at >= ?
       )
       SELECT status, at, next_at FROM (
         SELECT status, at, LEAD(at) OVER (PARTITION BY saga_id ORDER BY id) AS next_at FROM recent
       ) AS waits
       WHERE next_at IS NOT NULL AND status IN (${[...waiting.keys()].map(() => "?").join(", ")})`,
      [LATENCY_ENTRIES, since, ...waiting.keys()],
    );
    return {
      since,
      until: new Date(window.until).toISOString(),
      bucket_seconds: window.bucketMs / 1000,
      throughput: throughputBuckets(window, perSecond),
      steps: stepLatencies(waiting, waits),
    };
  }
}
