import { describe, expect, it } from "vitest";
import { wantsPretty } from "../src/logger.js";

describe("readable logs", () => {
  it.each([
    [{ LOG_PRETTY: "1" }, false, true],
    [{ LOG_PRETTY: "true" }, false, true],
    [{ LOG_PRETTY: "0" }, true, false],
    [{ LOG_PRETTY: "false" }, true, false],
    [{}, true, true],
    [{}, false, false],
  ])("LOG_PRETTY %j on a terminal: %s -> pretty %s", (env, tty, pretty) => {
    expect(wantsPretty(env, tty)).toBe(pretty);
  });
});
