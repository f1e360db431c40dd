import type { SagaDefinition, SqlReader } from "@asyncgen/saga";
import { sagaSequence, type SagaSequence, type SentCommand } from "./message-sequence.js";
import type { OrderQueries } from "./order-store.js";
import {
  activityWindow,
  MAX_LATENCY_SAMPLES,
  stepLatencies,
  THROUGHPUT_STATUSES,
  throughputBuckets,
  waitingStatuses,
  type SagaActivity,
} from "./saga-activity.js";

/** The lane of the orchestrator in sequence diagrams: its wire name, like the participants' (`consumer_service`). */
export const ORCHESTRATOR_SERVICE = "order_service";

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
    const counted = Object.keys(THROUGHPUT_STATUSES);
    const perSecond = await this.#db.all<{ second: string; status: string; n: number | string }>(
      `SELECT substr(at, 1, 19) AS second, status, COUNT(*) AS n FROM saga_history
       WHERE at >= ? AND status IN (${counted.map(() => "?").join(", ")}) GROUP BY substr(at, 1, 19), status`,
      [since, ...counted],
    );
    const waiting = waitingStatuses(this.#definition);
    // Each wait ends at the saga's next entry: the reply's (or the deadline's) transition. Both are in the window
    // when the wait began in it.
    const waits = await this.#db.all<{ status: string; at: string; next_at: string }>(
      `SELECT status, at, next_at FROM (
         SELECT id, status, at, LEAD(at) OVER (PARTITION BY saga_id ORDER BY id) AS next_at
         FROM saga_history WHERE at >= ?
       ) AS waits
       WHERE next_at IS NOT NULL AND status IN (${[...waiting.keys()].map(() => "?").join(", ")})
       ORDER BY id DESC LIMIT ?`,
      [since, ...waiting.keys(), MAX_LATENCY_SAMPLES],
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
