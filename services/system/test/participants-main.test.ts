import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { npmStart, tempDir } from "@saga/service-kit/testing";

describe.each(["consumer", "restaurant", "accounting"])("npm start -w services/%s-service", (name) => {
  const service = `${name}-service`;
  it("starts the service alone, logs its broker and its queue, and stops on SIGTERM", async () => {
    const dataDir = tempDir(`${name}-main`);
    const started = npmStart(service, { BROKER: "in-process", DATA_DIR: dataDir, LOG_LEVEL: "info" });
    try {
      await started.waitForOutput(/"msg":"broker: in-process \(BROKER=in-process\)"/);
      await started.waitForOutput(new RegExp(`"msg":"${service}: consuming ${name}_service\\.commands"`));
      expect(existsSync(path.join(dataDir, `${service}.sqlite`))).toBe(true);
    } finally {
      await started.stop();
    }
    expect(started.output()).toMatch(
      new RegExp(`"service":"${service}".*"signal":"SIGTERM".*"msg":"stopping"`),
    );
  });
});
