export interface Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter in [d/2, 3d/2), so many clients do not retry in step. `attempt` starts at 0. */
export function backoffDelay(attempt: number, { initialDelayMs, maxDelayMs }: Backoff): number {
  const delay = Math.min(initialDelayMs * 2 ** attempt, maxDelayMs);
  return delay / 2 + Math.random() * delay;
}
