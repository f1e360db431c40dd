import { createRequire } from "node:module";
import path from "node:path";
import {
  OrderServiceClient,
  queues,
  serveOrderService,
  type OrderServiceHandlers,
} from "@saga/generated/order-service";
import type { MessageContext, Transport } from "@saga/runtime";
import { OutboxRelay, redactUrl, type Logger } from "@saga/service-kit";
import { createOrderSaga, type CreateOrderSagaData } from "./create-order-saga/definition.js";
import {
  openOrderDatabase,
  OrderQueries,
  type OrderDatabaseLocation,
} from "./create-order-saga/order-store.js";
import type { NewOrder } from "./http/demo-scenarios.js";
import { buildApi } from "./http/server.js";
import { DeadlinePoller } from "./saga-engine/deadline-poller.js";
import { SagaEngine } from "./saga-engine/engine.js";
import type { OutboxRow, SagaDatabase } from "./saga-engine/sql.js";

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
  /** Served at /contracts/<file>; default: the repository's contracts/. */
  readonly contractsDir?: string;
};

export interface RunningOrderService {
  readonly url: string;
  readonly store: SagaDatabase<CreateOrderSagaData>;
  readonly engine: SagaEngine<CreateOrderSagaData>;
  stop(): Promise<void>;
}

/** Starts the orchestrator: database, saga engine, outbox relay, reply consumer, deadline poller, HTTP API. */
export async function startOrderService(options: OrderServiceOptions): Promise<RunningOrderService> {
  const { transport, logger } = options;
  const store = await openOrderDatabase(options, logger.child({ component: "database" }));
  const definition = createOrderSaga({
    stepDeadlineMs: options.stepDeadlineMs ?? 10_000,
    maxResends: options.maxResends ?? 3,
  });
  const engine = new SagaEngine(definition, store, logger.child({ component: "saga" }));

  const client = new OrderServiceClient(transport);
  const publish = (row: OutboxRow): Promise<unknown> => {
    const send = client[row.operation as keyof OrderServiceClient] as (
      payload: unknown,
      options: { correlationId: string; messageId: string },
    ) => Promise<unknown>;
    if (typeof send !== "function")
      throw new Error(`outbox row ${row.id} names unknown operation ${row.operation}`);
    return send.call(client, row.payload, { correlationId: row.correlationId, messageId: row.messageId });
  };
  const relay = new OutboxRelay(
    store,
    async (row) => void (await publish(row)),
    logger.child({ component: "outbox" }),
  );
  engine.onOutbox = () => relay.kick();

  const consumer = await serveOrderService(transport, replyHandlers(engine), {
    logger: logger.child({ component: "replies" }),
  });
  relay.start();
  const poller = new DeadlinePoller(
    engine,
    store,
    logger.child({ component: "deadlines" }),
    options.deadlinePollMs ?? 1000,
  );
  poller.start();

  const api = buildApi({
    queries: new OrderQueries(store),
    logger,
    subscribe: (listener) => store.subscribe(listener),
    docsFile: createRequire(import.meta.url).resolve("@saga/generated/docs"),
    contractsDir: options.contractsDir ?? path.resolve(import.meta.dirname, "../../../contracts"),
    deadLettered: async () => {
      const names = [...queues.consumes, ...queues.publishesTo].map((q) => `${q}.dlq`);
      const depths = await Promise.all(names.map((name) => transport.queueDepth(name)));
      return Object.fromEntries(names.map((name, i) => [name, depths[i] ?? null]));
    },
    startOrder: (order: NewOrder) =>
      engine.start({
        ...order,
        status: "pending_validation",
        restaurant_ticket_id: null,
        transaction_id: null,
      }),
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
      await poller.stop();
      await consumer.close();
      await relay.stop();
      await store.close();
    },
  };
}

/** Every reply goes to the engine, correlated by saga id; the interface makes a new reply a compile error here. */
function replyHandlers(engine: SagaEngine<CreateOrderSagaData>): OrderServiceHandlers {
  const apply = async (payload: unknown, context: MessageContext): Promise<void> => {
    const sagaId = Number(context.correlationId);
    if (!Number.isInteger(sagaId) || sagaId <= 0) {
      throw new Error(
        `reply ${context.type} has no saga id in correlation_id (${String(context.correlationId)})`,
      );
    }
    const outcome = await engine.handleReply(sagaId, context.type, payload, context.messageId);
    if (outcome !== "applied")
      context.logger.info({ saga: sagaId, type: context.type, outcome }, `reply ${outcome}`);
  };
  return {
    onVerifyConsumerDetailsSuccess: apply,
    onVerifyConsumerDetailsFailure: apply,
    onCreateTicketSuccess: apply,
    onCreateTicketFailure: apply,
    onRejectTicketSuccess: apply,
    onAuthorizeCardSuccess: apply,
    onAuthorizeCardFailure: apply,
    onApproveTicketSuccess: apply,
    onApproveTicketFailure: apply,
  };
}
