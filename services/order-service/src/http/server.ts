import { Ajv } from "ajv";
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import path from "node:path";
import type { ParkedMessage } from "@asyncgen/saga";
import { validators } from "@saga/generated/order-service";
import Fastify, { LogController } from "fastify";
import type { Logger } from "pino";
import type { OrderQueries } from "../create-order-saga/order-store.js";
import type { NewOrder } from "./demo-scenarios.js";
import { dashboardPage } from "./dashboard-page.js";
import { dashboardRoutes, type DashboardPictures } from "./dashboard-routes.js";
import { demoRoutes } from "./demo-routes.js";
import { bodyValidator, errorBody, sendError, sendNotFound } from "./errors.js";
import { homePage } from "./home-page.js";
import { idempotencyKeyOf } from "./idempotency-key.js";
import { FAVICON_SVG } from "./page-head.js";

export interface ApiDependencies {
  readonly queries: OrderQueries;
  /** The numbers and sequences the dashboard draws. */
  readonly dashboard: DashboardPictures;
  /** With an idempotency key, a retried request returns the order the first one created. */
  readonly startOrder: (order: NewOrder, idempotencyKey?: string) => Promise<number>;
  readonly health: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  /** Dead-lettered messages per dead-letter queue. */
  readonly deadLettered: () => Promise<Record<string, number | null>>;
  /** Outbox rows the broker kept refusing, parked with their reason, and the service whose outbox holds them. */
  readonly parked: () => Promise<readonly (ParkedMessage & { readonly service: string })[]>;
  /** The generated HTML documentation, and the folder of the raw contracts. */
  readonly docsFile: string;
  readonly contractsDir: string;
  /** Streams committed saga transitions (server-sent events). */
  readonly subscribe: (listener: (event: { saga: number; status: string }) => void) => () => void;
  readonly logger: Logger;
}

const ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

/** The order service's HTTP API (DESIGN §6). Bodies are limited to 64 KiB. */
export function buildApi(deps: ApiDependencies) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: 64 * 1024,
    // A line per request would drown the lines about sagas and steps.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // Path and query parameters arrive as strings and are coerced; a JSON body must carry real JSON types ("12" is
  // not an integer), so bodies get a validator without coercion.
  const bodies = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false });
  const parameters = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === "body" ? bodies : parameters).compile(schema as object),
  );

  // The API takes JSON only: a text/plain body (fastify parses it by default) is 415 like any other type.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler(sendError);
  app.setNotFoundHandler(sendNotFound);

  app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(homePage()));
  app.get("/dashboard", async (_request, reply) =>
    reply.type("text/html; charset=utf-8").send(dashboardPage()),
  );
  // Browsers ask for /favicon.ico on pages that name no icon (the generated docs); both names get the same SVG.
  for (const icon of ["/favicon.svg", "/favicon.ico"]) {
    app.get(icon, async (_request, reply) =>
      reply.type("image/svg+xml").header("cache-control", "max-age=86400").send(FAVICON_SVG),
    );
  }
  app.get("/docs", async (_request, reply) =>
    reply.type("text/html; charset=utf-8").send(await readFile(deps.docsFile, "utf8")),
  );

  // The raw contracts, by file name (top level or shared/); nothing else is reachable.
  app.get<{ Params: { "*": string } }>("/contracts/*", async (request, reply) => {
    const name = request.params["*"];
    if (!/^(shared\/)?[a-z0-9][a-z0-9-]*\.ya?ml$/.test(name)) {
      return reply.status(404).send(errorBody("HTTP_NOT_FOUND", `no contract ${name}`));
    }
    // Read before setting the YAML content type: the 404 body is JSON.
    const text = await readFile(path.join(deps.contractsDir, name), "utf8").catch(() => undefined);
    if (text === undefined) return reply.status(404).send(errorBody("HTTP_NOT_FOUND", `no contract ${name}`));
    return reply.type("text/yaml; charset=utf-8").send(text);
  });

  app.get("/stats", async () => ({
    counts: await deps.queries.counts(),
    dead_lettered: await deps.deadLettered(),
    outbox_parked: await deps.parked(),
  }));

  // The body is the order service contract's CreateOrderRequest, checked by its generated validator.
  const validateOrder = bodyValidator(validators.validateCreateOrderRequest);
  app.post("/orders", { preValidation: validateOrder }, async (request, reply) => {
    const id = await deps.startOrder(request.body as NewOrder, idempotencyKeyOf(request.headers));
    return reply
      .status(202)
      .send({ order_id: id, saga_id: id, links: { order: `/orders/${id}`, saga: `/sagas/${id}` } });
  });

  app.register(demoRoutes(deps.startOrder));
  app.register(dashboardRoutes(deps.dashboard));

  app.get<{ Params: { id: number } }>(
    "/orders/:id",
    { schema: { params: ID_PARAMS } },
    async (request, reply) => {
      const order = await deps.queries.order(request.params.id);
      return (
        order ?? reply.status(404).send(errorBody("HTTP_NOT_FOUND", `order ${request.params.id} not found`))
      );
    },
  );

  app.get<{ Params: { id: number } }>(
    "/sagas/:id",
    { schema: { params: ID_PARAMS } },
    async (request, reply) => {
      const saga = await deps.queries.saga(request.params.id);
      return (
        saga ?? reply.status(404).send(errorBody("HTTP_NOT_FOUND", `saga ${request.params.id} not found`))
      );
    },
  );

  app.get<{ Querystring: { limit: number; status?: string } }>(
    "/sagas",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
            status: { type: "string" },
          },
        },
      },
    },
    async (request) => ({
      counts: await deps.queries.counts(),
      sagas: await deps.queries.sagas({
        limit: request.query.limit,
        ...(request.query.status ? { status: request.query.status } : {}),
      }),
    }),
  );

  // Server-sent events: one `data:` line per committed transition, for the dashboard and load drivers.
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const stream of streams) stream.end();
  });
  app.get("/events", (request, reply) => {
    reply.hijack();
    streams.add(reply.raw);
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    reply.raw.write(": connected\n\n");
    // The events of one notification (a batch of commits) arrive together: they leave in one write, one chunk on
    // the socket, instead of a write each.
    let unwritten = "";
    const unsubscribe = deps.subscribe((event) => {
      if (unwritten === "")
        queueMicrotask(() => {
          if (!reply.raw.writableEnded) reply.raw.write(unwritten);
          unwritten = "";
        });
      unwritten += `data: ${JSON.stringify(event)}\n\n`;
    });
    const keepAlive = setInterval(() => reply.raw.write(": keep-alive\n\n"), 15_000);
    request.raw.on("close", () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(reply.raw);
    });
  });

  app.get("/health", async (_request, reply) => {
    const health = await deps.health();
    return reply.status(health.ok ? 200 : 503).send(health);
  });

  return app;
}
