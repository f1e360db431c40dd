import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { npmStart, tempDir } from "./support.js";

describe("npm start -w services/restaurant-service", () => {
  it("starts the service alone, logs its broker and its queue, and stops on SIGTERM", async () => {
    const dataDir = tempDir("restaurant-main");
    const started = npmStart("restaurant-service", {
      BROKER: "in-process",
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    });
    try {
      await started.waitForOutput(/"msg":"broker: in-process \(BROKER=in-process\)"/);
      await started.waitForOutput(/"msg":"restaurant-service: consuming restaurant_service\.commands"/);
      expect(existsSync(path.join(dataDir, "restaurant-service.sqlite"))).toBe(true);
    } finally {
      await started.stop();
    }
    expect(started.output()).toMatch(/"service":"restaurant-service".*"signal":"SIGTERM".*"msg":"stopping"/);
  });
});
