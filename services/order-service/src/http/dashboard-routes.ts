import type { FastifyInstance } from "fastify";
import type { DashboardQueries } from "../create-order-saga/dashboard-queries.js";
import { browserModule } from "./browser-module.js";
import { errorBody } from "./errors.js";

/** The dashboard queries the routes use (they do not depend on the saga's data type). */
export type DashboardPictures = Pick<DashboardQueries<unknown>, "activity" | "sequence">;

const chartsModule = browserModule(new URL("./charts.ts", import.meta.url));

/**
 * What the dashboard's pictures draw: `GET /stats/activity` (sagas per second, step latencies), `GET
 * /sagas/:id/messages` (a saga's commands and replies in order) and the module that draws them.
 */
export function dashboardRoutes(queries: DashboardPictures) {
  return async (scope: FastifyInstance): Promise<void> => {
    scope.get("/assets/charts.js", async (_request, reply) =>
      reply
        .type("text/javascript; charset=utf-8")
        .header("cache-control", "no-cache")
        .send(await chartsModule()),
    );

    scope.get<{ Querystring: { minutes: number } }>(
      "/stats/activity",
      {
        schema: {
          querystring: {
            type: "object",
            properties: { minutes: { type: "integer", minimum: 1, maximum: 60, default: 5 } },
          },
        },
      },
      async (request) => queries.activity(request.query.minutes),
    );

    scope.get<{ Params: { id: number } }>(
      "/sagas/:id/messages",
      {
        schema: {
          params: {
            type: "object",
            required: ["id"],
            properties: { id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
          },
        },
      },
      async (request, reply) => {
        const sequence = await queries.sequence(request.params.id);
        return (
          sequence ??
          reply.status(404).send(errorBody("HTTP_NOT_FOUND", `saga ${request.params.id} not found`))
        );
      },
    );
  };
}
