import { randomFillSync } from "node:crypto";

/**
 * Random bytes from a pool refilled 4 KiB at a time, for ids made on every hop (trace and span ids, message ids):
 * a crypto call per id (randomBytes, or uuid's getRandomValues) cost more than the rest of making it.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

/** The next `bytes` (at most 4096) random bytes, as a view of the pool: read them before the next call. */
export function pooledRandomBytes(bytes: number): Buffer {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.subarray(used - bytes, used);
}
