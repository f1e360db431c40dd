import type { FastifyInstance } from "fastify";
import { DEMO_SCENARIOS, type NewOrder } from "./demo-scenarios.js";
import { errorBody } from "./errors.js";

/**
 * `POST /demo/:scenario`: starts one of the original demo scenarios. The home page posts a plain HTML form
 * (`application/x-www-form-urlencoded`, no fields) and a browser navigating there is sent to the dashboard with
 * that saga's timeline; a script (`fetch`, the dashboard's buttons) is sent to the saga's JSON.
 */
export function demoRoutes(startOrder: (order: NewOrder) => Promise<number>) {
  return async (scope: FastifyInstance): Promise<void> => {
    // A form's body carries nothing the scenario needs; it is read and ignored (only in this scope).
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string" },
      (_request, _body, done) => done(null, {}),
    );
    scope.post<{ Params: { scenario: string } }>("/demo/:scenario", async (request, reply) => {
      const name = request.params.scenario;
      const scenario = Object.hasOwn(DEMO_SCENARIOS, name) ? DEMO_SCENARIOS[name] : undefined;
      if (!scenario) return reply.status(404).send(errorBody("HTTP_NOT_FOUND", `no demo scenario ${name}`));
      const id = await startOrder(scenario.order());
      const navigating = request.headers.accept?.includes("text/html") ?? false;
      return reply.redirect(navigating ? `/dashboard?saga=${id}` : `/sagas/${id}`, 303);
    });
  };
}
