import { describe, expect, it } from "vitest";
import { withFields, type Logger } from "../src/index.js";

/** A logger that records its entries; with `level`, it also answers pino's isLevelEnabled for levels at or above. */
function recording(level?: keyof Logger) {
  const order: (keyof Logger)[] = ["debug", "info", "warn", "error"];
  const entries: [keyof Logger, object, string | undefined][] = [];
  const log = (name: keyof Logger) => (obj: object, msg?: string) => void entries.push([name, obj, msg]);
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  const levelAware = level && {
    isLevelEnabled: (name: string) => order.indexOf(name as keyof Logger) >= order.indexOf(level),
  };
  return { logger: Object.assign(logger, levelAware), entries };
}

describe("withFields", () => {
  it("adds its fields to every entry, the entry's own fields winning", () => {
    const { logger, entries } = recording();
    const logged = withFields(logger, { component: "saga", saga: 1 });
    logged.debug({ saga: 2 }, "one");
    logged.error({}, "two");
    expect(entries).toEqual([
      ["debug", { component: "saga", saga: 2 }, "one"],
      ["error", { component: "saga", saga: 1 }, "two"],
    ]);
  });

  it("drops an entry below a pino-like logger's level before copying anything", () => {
    const { logger, entries } = recording("warn");
    const logged = withFields(logger, { component: "saga" });
    logged.info({ saga: 1 }, "below");
    logged.warn({ saga: 1 }, "at");
    expect(entries).toEqual([["warn", { component: "saga", saga: 1 }, "at"]]);
  });
});
