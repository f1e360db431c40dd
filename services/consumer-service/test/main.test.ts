import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { npmStart, tempDir } from "../../restaurant-service/test/support.js";

describe("npm start -w services/consumer-service", () => {
  it("starts the service alone, logs its broker and its queue, and stops on SIGTERM", async () => {
    const dataDir = tempDir("consumer-main");
    const started = npmStart("consumer-service", {
      BROKER: "in-process",
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    });
    try {
      await started.waitForOutput(/"msg":"broker: in-process \(BROKER=in-process\)"/);
      await started.waitForOutput(/"msg":"consumer-service: consuming consumer_service\.commands"/);
      expect(existsSync(path.join(dataDir, "consumer-service.sqlite"))).toBe(true);
    } finally {
      await started.stop();
    }
    expect(started.output()).toMatch(/"service":"consumer-service".*"signal":"SIGTERM".*"msg":"stopping"/);
  });
});
