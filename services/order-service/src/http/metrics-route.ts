import type { ServiceMetrics } from "@saga/service-kit";
import type { buildApi } from "./server.js";

/** GET /metrics: the order service's Prometheus metrics (text exposition format). */
export function registerMetricsRoute(app: ReturnType<typeof buildApi>, metrics: ServiceMetrics): void {
  app.get("/metrics", async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
}
