import { describe, expect, it } from "vitest";
import { newMessageId } from "../src/index.js";

describe("newMessageId", () => {
  it("is a UUIDv7 that starts with the time, and each one sorts after the one before", () => {
    const before = Date.now();
    const ids = Array.from({ length: 1000 }, () => newMessageId());
    const after = Date.now();
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millis = Number.parseInt(ids[0]!.replaceAll("-", "").slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after);
    // Appended at the end of an index on the id (consumed messages, outboxes), as the id is compared as text.
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
