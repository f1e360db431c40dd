import { describe, expect, it } from "vitest";
import { ServiceMetrics, serveMetrics } from "../src/metrics.js";

/** GET /health on a participant's METRICS_PORT: what its container's healthcheck asks. */
describe("the metrics server's /health", () => {
  it("answers 200 while every metered broker connection is up, 503 otherwise, and says so in /metrics too", async () => {
    const metrics = new ServiceMetrics("consumer-service");
    const server = await serveMetrics(metrics, 0);
    const health = new URL("/health", server.url).href;
    const gauge = async () =>
      /^saga_broker_connected\{[^}]*\} (\d)$/m.exec(await (await fetch(server.url)).text())![1];
    try {
      // No transport metered yet: nothing is known to be connected.
      expect((await fetch(health)).status).toBe(503);
      let up = true;
      metrics.connectionFrom(() => up);
      const answer = await fetch(health);
      expect([answer.status, answer.headers.get("content-type"), await answer.json()]).toEqual([
        200,
        "application/json",
        { ok: true, checks: { broker: true } },
      ]);
      expect(await gauge()).toBe("1");
      up = false;
      const down = await fetch(health);
      expect([down.status, await down.json()]).toEqual([503, { ok: false, checks: { broker: false } }]);
      expect(await gauge()).toBe("0");
      expect((await fetch(new URL("/other", server.url))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
