import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DIFF_RULES } from "../../src/diff/rules.js";
import {
  CONTRACT_CASES,
  DIFF_FIXTURES,
  diffFixture,
  expectJudgedInEveryMode,
  SCHEMA_CASES,
} from "./fixture-cases.js";

/** Messages, channels, queues, operations and replies; the major-version allowance; edits that change nothing. */
describe("asyncgen diff contract rules, both directions, every policy", () => {
  it.each(Object.entries(CONTRACT_CASES))("%s", (name, fixtureCase) =>
    expectJudgedInEveryMode(name, fixtureCase),
  );

  it("reports where the change is: the new file, or the parent of what was removed", async () => {
    const [removed] = await diffFixture("field-removed", "old", "new");
    expect(removed?.location).toMatchObject({ file: "kitchen.yaml", line: 87, column: 7 }); // Dish.properties
    const [added] = await diffFixture("field-removed", "new", "old");
    expect(added?.location).toMatchObject({ file: "kitchen.yaml", line: 97, column: 9 }); // Dish.properties.delete
    const [header] = await diffFixture("header-required-added", "old", "new");
    expect(header?.location).toMatchObject({ file: "shared/headers.yaml", line: 11, column: 9 });
  });

  it("has a fixture pair for every rule, and a case for every fixture pair", () => {
    const cases = { ...SCHEMA_CASES, ...CONTRACT_CASES };
    expect(readdirSync(DIFF_FIXTURES).sort()).toEqual(Object.keys(cases).sort());
    const judged = new Set(
      Object.values(cases).flatMap((c) => [...c.oldToNew, ...c.newToOld].map((s) => s.split(" ")[0])),
    );
    expect([...judged].sort()).toEqual(Object.keys(DIFF_RULES).sort());
    for (const rule of Object.keys(DIFF_RULES)) {
      if (rule in cases) continue;
      throw new Error(`no fixture pair named after ${rule}`);
    }
  });
});
