import type { ServiceMetrics } from "@saga/service-kit";
import type { ReplyOutcome, SagaDatabase, UnitOfWork } from "@asyncgen/saga";

const TERMINAL = new Set(["succeeded", "failed"]);

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
  const ended = (work: UnitOfWork<Data>): void => {
    const outcome = work.next.status;
    if (!TERMINAL.has(outcome)) return;
    metrics.sagasFinished.inc({ saga, outcome });
    // The creation time is on the saga's row (the saga may have started on another instance, or before a restart).
    const now = Date.now();
    void store
      .all<{ created_at: string }>(`SELECT created_at FROM sagas WHERE id = ?`, [work.next.id])
      .then(([row]) => {
        const seconds = (now - Date.parse(row?.created_at ?? "")) / 1000;
        if (Number.isFinite(seconds)) metrics.sagaSeconds.observe({ saga, outcome }, seconds);
      })
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
