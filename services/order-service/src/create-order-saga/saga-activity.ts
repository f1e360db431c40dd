import type { SagaDefinition } from "@asyncgen/saga";

/**
 * What the dashboard's charts show, computed from the saga history (so every instance on one database sees the same
 * numbers): sagas started and finished per time bucket, and how long each remote step waits for its reply.
 */

/** Sagas started, succeeded and failed in one bucket of `bucket_seconds`, from `at`. */
export interface ThroughputBucket {
  readonly at: string;
  readonly started: number;
  readonly succeeded: number;
  readonly failed: number;
}

/** A remote step's (or compensation's) wait for its reply: per attempt, a resend starts a new one. */
export interface StepLatency {
  readonly step: string;
  readonly phase: "action" | "compensation";
  readonly samples: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
}

export interface SagaActivity {
  readonly since: string;
  readonly until: string;
  readonly bucket_seconds: number;
  readonly throughput: readonly ThroughputBucket[];
  readonly steps: readonly StepLatency[];
}

/** The history statuses that start and end a saga, counted per bucket. */
export const THROUGHPUT_STATUSES = {
  not_started: "started",
  succeeded: "succeeded",
  failed: "failed",
} as const;

/**
 * `status IN ('not_started', 'succeeded', 'failed')`: the throughput statuses as literals, the predicate of the
 * partial index the throughput chart reads (both databases use a partial index only for a query whose WHERE
 * spells out its predicate, which bound parameters do not).
 */
export const THROUGHPUT_PREDICATE = `status IN (${Object.keys(THROUGHPUT_STATUSES)
  .map((status) => `'${status}'`)
  .join(", ")})`;

/** Buckets per window: one a second for a one-minute window, one per five seconds for five minutes. */
export const BUCKETS = 60;

/**
 * The newest history entries the latencies are read from, at most: thousands of waits, enough for a p99, and a
 * bounded read however long the history.
 */
export const LATENCY_ENTRIES = 20_000;

/** The window of the last `minutes`, in whole buckets ending after `now`. */
export function activityWindow(
  minutes: number,
  now: number,
): { since: number; until: number; bucketMs: number } {
  const bucketMs = (minutes * 60_000) / BUCKETS;
  const until = Math.ceil((now + 1) / bucketMs) * bucketMs;
  return { since: until - BUCKETS * bucketMs, until, bucketMs };
}

/** The history status that starts each remote wait, and which step (and phase) it is. */
export function waitingStatuses<Data>(
  definition: SagaDefinition<Data>,
): Map<string, { step: string; phase: "action" | "compensation" }> {
  const statuses = new Map<string, { step: string; phase: "action" | "compensation" }>();
  for (const step of definition.steps) {
    if (step.action?.kind === "remote")
      statuses.set(`${step.name}.running`, { step: step.name, phase: "action" });
    if (step.compensation?.kind === "remote")
      statuses.set(`${step.name}.compensating`, { step: step.name, phase: "compensation" });
  }
  return statuses;
}

/** Counts per second (`second`: the first 19 characters of an ISO time) into the window's buckets. */
export function throughputBuckets(
  window: { since: number; bucketMs: number },
  perSecond: readonly { second: string; status: string; n: number | string }[],
): ThroughputBucket[] {
  const buckets = Array.from({ length: BUCKETS }, (_, i) => ({
    at: new Date(window.since + i * window.bucketMs).toISOString(),
    started: 0,
    succeeded: 0,
    failed: 0,
  }));
  for (const row of perSecond) {
    const index = Math.floor((Date.parse(`${row.second}Z`) - window.since) / window.bucketMs);
    const field = THROUGHPUT_STATUSES[row.status as keyof typeof THROUGHPUT_STATUSES];
    const bucket = buckets[index];
    if (bucket && field) bucket[field] += Number(row.n);
  }
  return buckets;
}

/** p50 and p99 (nearest rank) of each step's waits, in the definition's order. */
export function stepLatencies(
  statuses: ReturnType<typeof waitingStatuses>,
  waits: readonly { status: string; at: string; next_at: string }[],
): StepLatency[] {
  const durations = new Map<string, number[]>();
  for (const wait of waits) {
    const list = durations.get(wait.status) ?? [];
    list.push(Date.parse(wait.next_at) - Date.parse(wait.at));
    durations.set(wait.status, list);
  }
  const rank = (sorted: readonly number[], p: number) =>
    sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return [...statuses].flatMap(([status, { step, phase }]) => {
    const sorted = (durations.get(status) ?? []).sort((a, b) => a - b);
    if (sorted.length === 0) return [];
    return [{ step, phase, samples: sorted.length, p50_ms: rank(sorted, 0.5), p99_ms: rank(sorted, 0.99) }];
  });
}
