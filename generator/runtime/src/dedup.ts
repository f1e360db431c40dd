/** Remembers which messages were fully processed, so a redelivery is acknowledged without running twice. */
export interface Dedup {
  has(messageId: string): boolean | Promise<boolean>;
  add(messageId: string): void | Promise<void>;
}

/**
 * The last `capacity` message ids, in memory: absorbs redeliveries after a connection loss within one process.
 * Services whose effects must survive a restart keep their own record in their database (and dedupe there).
 */
export function memoryDedup(capacity = 10_000): Dedup {
  const seen = new Set<string>();
  return {
    has: (messageId) => seen.has(messageId),
    add: (messageId) => {
      seen.add(messageId);
      if (seen.size > capacity) seen.delete(seen.values().next().value as string);
    },
  };
}
