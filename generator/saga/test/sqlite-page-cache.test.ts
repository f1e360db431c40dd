import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_CACHE_KIB, openSqlite } from "../src/sqlite/open-sqlite.js";

/** better-sqlite3 builds SQLite with a 16 MiB page cache per connection; ours is bounded where it is opened. */
describe("the SQLite page cache", () => {
  const cacheKiB = (db: ReturnType<typeof openSqlite>) =>
    -(db.pragma("cache_size", { simple: true }) as number);

  it("is SQLite's own 2 MiB unless the caller asks for more", () => {
    const participant = openSqlite(":memory:", []);
    const orchestrator = openSqlite(":memory:", [], 16_000);
    try {
      expect(DEFAULT_PAGE_CACHE_KIB).toBe(2048);
      expect(cacheKiB(participant)).toBe(2048);
      expect(cacheKiB(orchestrator)).toBe(16_000);
    } finally {
      participant.close();
      orchestrator.close();
    }
  });
});
