import { createRequire } from "node:module";
import path from "node:path";
import {
  countParkedMessages,
  DEFAULT_RETENTION,
  parkedMessages,
  RetentionPruner,
  startOrchestrator,
  type ParkedMessage,
  type RetentionPolicy,
  type SagaDatabase,
  type SagaEngine,
} from "@asyncgen/saga";
import { orderServiceQueues, queues } from "@saga/generated/order-service";
import type { Transport } from "@asyncgen/runtime";
import {
  CONFIG_DEFAULTS,
  meteredTransport,
  redactUrl,
  ServiceMetrics,
  type Logger,
  type MetricsExposition,
} from "@saga/service-kit";
import {
  CREATE_ORDER_SAGA,
  createOrderSaga,
  type CreateOrderSagaData,
} from "./create-order-saga/definition.js";
import { DashboardQueries } from "./create-order-saga/dashboard-queries.js";
import { IDEMPOTENCY_RETENTION_MS, IdempotentOrders } from "./create-order-saga/idempotent-orders.js";
import {
  openOrderDatabase,
  OrderQueries,
  type OrderDatabaseLocation,
} from "./create-order-saga/order-store.js";
import type { NewOrder } from "./http/demo-scenarios.js";
import { registerDeadLetterRoutes } from "./http/dead-letter-routes.js";
import { registerMetricsRoute } from "./http/metrics-route.js";
import { buildApi } from "./http/server.js";
import { SagaEnds } from "./saga-ends.js";
import { ignoredReason, meterSagaStore } from "./saga-metrics.js";

export { orderDatabaseLocation } from "./create-order-saga/order-store.js";

export type OrderServiceOptions = OrderDatabaseLocation & {
  readonly transport: Transport;
  readonly logger: Logger;
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** How long a step waits for its reply before it is resent (or, before the pivot, finally failed). */
  readonly stepDeadlineMs?: number;
  readonly maxResends?: number;
  readonly deadlinePollMs?: number;
  /** Where its Prometheus metrics go (served at GET /metrics); default: a registry of its own. */
  readonly metrics?: ServiceMetrics;
  /** What GET /metrics serves; default: `metrics`. npm start serves every service's (combinedMetrics). */
  readonly metricsServed?: MetricsExposition;
  /** How long an Idempotency-Key of POST /orders is remembered; default 24 h. */
  readonly idempotencyRetentionMs?: number;
  /** On PostgreSQL: how long a dead instance's outbox rows stay its own (`OUTBOX_LEASE_MS`); default 3000 ms. */
  readonly outboxLeaseMs?: number;
  /** How long consumed reply ids, sent commands and finished sagas' history are kept; default DEFAULT_RETENTION. */
  readonly retention?: RetentionPolicy;
  /**
   * Other services' parked outbox rows the dashboard lists beside its own: npm start passes the participants it
   * runs in the same process. A participant run alone counts its own on its /metrics (saga_outbox_parked).
   */
  readonly parkedElsewhere?: readonly ParkedSource[];
  /** Served at /contracts/<file>; default: the repository's contracts/. */
  readonly contractsDir?: string;
};

/** A service whose parked outbox rows the dashboard shows. */
export interface ParkedSource {
  readonly service: string;
  parked(): Promise<readonly ParkedMessage[]>;
}

export interface RunningOrderService {
  readonly url: string;
  readonly store: SagaDatabase<CreateOrderSagaData>;
  readonly engine: SagaEngine<CreateOrderSagaData>;
  stop(): Promise<void>;
}

/** Starts the orchestrator: database, saga engine, outbox relay, reply consumer, deadline poller, HTTP API. */
export async function startOrderService(options: OrderServiceOptions): Promise<RunningOrderService> {
  const { logger } = options;
  const metrics = options.metrics ?? new ServiceMetrics("order-service");
  const transport = meteredTransport(options.transport, metrics);
  const store = meterSagaStore(
    await openOrderDatabase(options, logger.child({ component: "database" })),
    metrics,
    CREATE_ORDER_SAGA,
  );
  metrics.countOutboxWith(async () =>
    Number(
      (await store.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL`))[0]
        ?.n ?? 0,
    ),
  );
  metrics.countParkedWith(() => countParkedMessages(store));
  const parkedSources: readonly ParkedSource[] = [
    { service: "order-service", parked: () => parkedMessages(store) },
    ...(options.parkedElsewhere ?? []),
  ];
  const definition = createOrderSaga({
    stepDeadlineMs: options.stepDeadlineMs ?? CONFIG_DEFAULTS.stepDeadlineMs,
    maxResends: options.maxResends ?? 3,
  });
  const orchestrator = await startOrchestrator({
    saga: definition,
    store,
    transport,
    replies: orderServiceQueues,
    logger,
    ...(options.deadlinePollMs === undefined ? {} : { deadlinePollMs: options.deadlinePollMs }),
    onReplyOutcome: (outcome) => {
      const reason = ignoredReason(outcome);
      if (reason) metrics.repliesIgnored.inc({ reason });
    },
  });
  const { engine } = orchestrator;
  // Bookkeeping stays bounded: consumed reply ids, sent commands and finished sagas' history past their windows.
  // Orders, sagas and their projection rows are business data and stay.
  const pruner = new RetentionPruner(store, {
    policy: options.retention ?? DEFAULT_RETENTION,
    tables: ["consumed_messages", "outbox", "saga_history"],
    logger: logger.child({ component: "retention" }),
    isConnected: () => transport.isConnected(),
  });
  pruner.start();

  const orders = new IdempotentOrders(
    store,
    // Each saga is the root of a trace (its start's span); its messages and what it logs carry it.
    (data) => orchestrator.start(data),
    options.idempotencyRetentionMs ?? IDEMPOTENCY_RETENTION_MS,
  );
  const queries = new OrderQueries(store);
  // Every saga's end reaches /events, those whose instance died before announcing them included.
  const ends = new SagaEnds(store, logger.child({ component: "saga-ends" }));
  const api = buildApi({
    queries,
    dashboard: new DashboardQueries(store, queries, definition),
    logger,
    subscribe: (listener) => ends.subscribe(listener),
    docsFile: createRequire(import.meta.url).resolve("@saga/generated/docs"),
    contractsDir: options.contractsDir ?? path.resolve(import.meta.dirname, "../../../contracts"),
    deadLettered: async () => {
      const names = [...queues.consumes, ...queues.publishesTo].map((q) => `${q}.dlq`);
      const depths = await Promise.all(names.map((name) => transport.queueDepth(name)));
      return Object.fromEntries(names.map((name, i) => [name, depths[i] ?? null]));
    },
    parked: async () =>
      (
        await Promise.all(
          parkedSources.map(async ({ service, parked }) =>
            (await parked()).map((row) => ({ service, ...row })),
          ),
        )
      ).flat(),
    startOrder: (order: NewOrder, idempotencyKey?: string) => orders.start(order, idempotencyKey),
    health: async () => {
      const database = await store.ping().then(
        () => true,
        () => false,
      );
      const broker = transport.isConnected();
      return {
        ok: database && broker,
        checks: { database, database_kind: store.dialect, broker, transport: transport.kind },
      };
    },
  });
  registerDeadLetterRoutes(api, {
    transport,
    queues: [...queues.consumes, ...queues.publishesTo].map((q) => `${q}.dlq`),
    onReplayed: (letter) => metrics.replayed.inc({ queue: letter.original_queue }),
  });
  registerMetricsRoute(api, options.metricsServed ?? metrics);
  await api.listen({ port: options.port, host: options.host ?? "127.0.0.1" });
  const address = api.server.address();
  const url =
    typeof address === "object" && address ? `http://${options.host ?? "127.0.0.1"}:${address.port}` : "";
  const database =
    "databaseUrl" in options ? redactUrl(options.databaseUrl) : path.basename(options.databaseFile);
  logger.info({ url, database }, `order-service: HTTP API on ${url} (database: ${database})`);

  return {
    url,
    store,
    engine,
    async stop() {
      await api.close();
      await orchestrator.stop();
      await ends.stop();
      await pruner.stop();
      await store.close();
    },
  };
}
