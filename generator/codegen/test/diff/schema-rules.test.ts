import { describe, expect, it } from "vitest";
import { diffFixture, SCHEMA_CASES, summary } from "./fixture-cases.js";

/** The payload and header schema rules: one fixture pair each, judged old -> new and new -> old. */
describe("asyncgen diff schema rules, both directions", () => {
  it.each(Object.entries(SCHEMA_CASES))("%s", async (name, { forward, backward }) => {
    const there = await diffFixture(name, "old", "new");
    const back = await diffFixture(name, "new", "old");
    expect(summary(there), JSON.stringify(there, null, 1)).toEqual([...forward].sort());
    expect(summary(back), JSON.stringify(back, null, 1)).toEqual([...backward].sort());
    for (const finding of [...there, ...back]) {
      expect(finding.location.file).toMatch(/^(kitchen|waiter|shared\/headers)\.yaml$/);
      expect(finding.location.line).toBeGreaterThan(1);
      expect(finding.reason.length).toBeGreaterThan(0);
    }
  });
});
