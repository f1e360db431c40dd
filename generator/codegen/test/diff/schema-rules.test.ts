import { describe, it } from "vitest";
import { expectJudgedInEveryMode, SCHEMA_CASES } from "./fixture-cases.js";

/** The payload and header schema rules: one fixture pair each, judged old -> new and new -> old. */
describe("asyncgen diff schema rules, both directions, every policy", () => {
  it.each(Object.entries(SCHEMA_CASES))("%s", (name, fixtureCase) =>
    expectJudgedInEveryMode(name, fixtureCase),
  );
});
