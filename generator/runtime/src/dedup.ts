/** Remembers which messages were fully processed, so a redelivery is acknowledged without running twice. */
export interface Dedup {
  /** True if this message id was already fully processed (handled, replies confirmed, acked). */
  has(messageId: string): boolean | Promise<boolean>;
  add(messageId: string): void | Promise<void>;
}

/**
 * The last `capacity` message ids, in memory, least recently seen evicted first. Absorbs redeliveries after a
 * connection loss within one process; services whose effects must survive a restart dedupe in their database.
 */
export function memoryDedup(capacity = 10_000): Dedup {
  // A Set iterates in insertion order: deleting and re-adding moves an id to the young end.
  const seen = new Set<string>();
  return {
    has(messageId) {
      if (!seen.has(messageId)) return false;
      seen.delete(messageId);
      seen.add(messageId);
      return true;
    },
    add(messageId) {
      seen.delete(messageId);
      seen.add(messageId);
      for (const oldest of seen) {
        if (seen.size <= capacity) break;
        seen.delete(oldest);
      }
    },
  };
}
