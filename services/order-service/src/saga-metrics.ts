import type { ServiceMetrics } from "@saga/service-kit";
import type { ReplyOutcome, SagaDatabase, UnitOfWork } from "@asyncgen/saga";

const TERMINAL = new Set(["succeeded", "failed"]);
/** Creation times of loaded sagas kept for their end: far more than the sagas in flight at once. */
const MAX_REMEMBERED = 10_000;

/**
 * The saga database with its writes measured: each commit timed, sagas counted as they are created and as they
 * end (by outcome, with their duration). Measured at the commit, so each transition counts once, on the instance
 * that made it, also when several instances share a PostgreSQL database.
 */
export function meterSagaStore<Data>(
  store: SagaDatabase<Data>,
  metrics: ServiceMetrics,
  saga: string,
): SagaDatabase<Data> {
  const timed = async <T>(write: () => Promise<T>): Promise<T> => {
    const stop = metrics.commitSeconds.startTimer();
    try {
      return await write();
    } finally {
      stop();
    }
  };
  /**
   * When each saga the engine loaded was created (the saga may have started on another instance, or before a
   * restart): the engine loads a saga before each transition of it, so its end finds the time here without reading
   * the row again. Bounded, for sagas loaded and never ended here.
   */
  const createdAt = new Map<number, string>();
  const load: SagaDatabase<Data>["load"] = async (id) => {
    const record = await store.load(id);
    if (record) {
      createdAt.delete(id); // re-inserted last, so the bound drops the longest unused
      createdAt.set(id, record.createdAt);
      if (createdAt.size > MAX_REMEMBERED) createdAt.delete(createdAt.keys().next().value!);
    }
    return record;
  };
  const observe = (outcome: string, created: string | undefined): void => {
    const seconds = (Date.now() - Date.parse(created ?? "")) / 1000;
    if (Number.isFinite(seconds)) metrics.sagaSeconds.observe({ saga, outcome }, seconds);
  };
  const ended = (work: UnitOfWork<Data>): void => {
    const outcome = work.next.status;
    if (!TERMINAL.has(outcome)) return;
    metrics.sagasFinished.inc({ saga, outcome });
    const created = createdAt.get(work.next.id);
    createdAt.delete(work.next.id);
    if (created !== undefined) return observe(outcome, created);
    // Not loaded here (it ended in the transition that created it): the row says.
    void store
      .all<{ created_at: string }>(`SELECT created_at FROM sagas WHERE id = ?`, [work.next.id])
      .then(([row]) => observe(outcome, row?.created_at))
      .catch(() => {}); // a metric is not worth failing a committed transition for
  };
  const create: SagaDatabase<Data>["create"] = async (build) => {
    const id = await timed(() => store.create(build));
    metrics.sagasStarted.inc({ saga });
    return id;
  };
  const commit: SagaDatabase<Data>["commit"] = async (work) => {
    await timed(() => store.commit(work));
    ended(work);
  };
  // Everything else goes to the store itself (bound, for its private fields).
  return new Proxy(store, {
    get(target, property) {
      if (property === "create") return create;
      if (property === "commit") return commit;
      if (property === "load") return load;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The `reason` label of saga_replies_ignored_total for a reply that changed nothing; undefined when applied. */
export function ignoredReason(outcome: ReplyOutcome): string | undefined {
  switch (outcome) {
    case "applied":
      return undefined;
    case "unknown-saga":
      return "unknown_saga";
    case "ignored":
      return "stale_step";
    case "duplicate":
      return "duplicate";
  }
}
