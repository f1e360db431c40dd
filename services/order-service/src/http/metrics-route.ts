import type { MetricsExposition } from "@saga/service-kit";
import type { buildApi } from "./server.js";

/** GET /metrics: Prometheus metrics (text exposition format), the order service's or, under npm start, all four's. */
export function registerMetricsRoute(app: ReturnType<typeof buildApi>, metrics: MetricsExposition): void {
  app.get("/metrics", async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
