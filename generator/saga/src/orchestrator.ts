import {
  inSpan,
  serve,
  silentLogger,
  withFields,
  type Logger,
  type MessageContext,
  type ServeOptions,
  type ServiceSpec,
  type Transport,
} from "@asyncgen/runtime";
import { DeadlinePoller } from "./deadline-poller.js";
import type { SagaDefinition } from "./definition.js";
import { SagaEngine, type ReplyOutcome } from "./engine.js";
import { SagaError } from "./errors.js";
import { OutboxRelay, type OutboxSource } from "./outbox-relay.js";
import type { StoredMessage } from "./outbox-table.js";
import type { SagaStore } from "./state.js";

/** A saga store that also holds the outbox its transitions write: either of the package's stores. */
export type OrchestratorStore<Data> = SagaStore<Data> & OutboxSource<StoredMessage>;

export interface OrchestratorOptions<Data> {
  readonly saga: SagaDefinition<Data>;
  /** `openSqliteSagaStore()` (`@asyncgen/saga/sqlite`) or `openPostgresSagaStore()` (`@asyncgen/saga/postgres`). */
  readonly store: OrchestratorStore<Data>;
  readonly transport: Transport;
  /**
   * The queues the saga's replies arrive on: the generated `<service>Queues` of the orchestrator's contract. Every
   * reply a step waits for must be consumed by one of them (checked at start).
   */
  readonly replies: readonly ServiceSpec[];
  readonly logger?: Logger;
  /** How often overdue steps are looked for. Default 1000 ms. */
  readonly deadlinePollMs?: number;
  /** How often the outbox relay looks for rows left unsent (a crash, a broker outage). Default 500 ms. */
  readonly relayIntervalMs?: number;
  /** Refusals by the broker (no queue bound, negative confirm) before a command is parked. Default 12. */
  readonly maxRefusals?: number;
  /** Passed to the reply consumers (prefetch, attempts, retry delays). */
  readonly serveOptions?: Omit<ServeOptions, "logger" | "unitOfWork" | "dedup">;
  /** Hears what became of every reply (metrics: replies ignored by reason). */
  readonly onReplyOutcome?: (outcome: ReplyOutcome, context: MessageContext) => void;
}

export interface Orchestrator<Data> {
  readonly engine: SagaEngine<Data>;
  /** Creates a saga, commits its first transition (and its first command) and returns its id. */
  start(data: Data): Promise<number>;
  /** Stops consuming replies, the deadline poller and the relay; the store stays open (it is the caller's). */
  stop(): Promise<void>;
}

/**
 * Runs a saga: the engine on the store, the outbox relay that publishes what its transitions committed, the reply
 * consumers that hand every reply to the engine (correlated by `correlation_id`, deduplicated by `message_id` in
 * the store), and the deadline poller. Sagas left in flight by an earlier run continue: the relay publishes their
 * unsent commands and the poller acts on their overdue steps.
 */
export async function startOrchestrator<Data>(
  options: OrchestratorOptions<Data>,
): Promise<Orchestrator<Data>> {
  const { saga, store, transport } = options;
  const logger = options.logger ?? silentLogger;
  checkRepliesConsumed(saga, options.replies);
  const engine = new SagaEngine(saga, store, withFields(logger, { component: "saga" }));
  const relay = new OutboxRelay(
    store,
    (row) => transport.publish(row.message),
    withFields(logger, { component: "outbox" }),
    options.relayIntervalMs,
    options.maxRefusals,
  );
  engine.onOutbox = () => relay.afterCommit();
  const poller = new DeadlinePoller(
    engine,
    store,
    withFields(logger, { component: "deadlines" }),
    options.deadlinePollMs,
  );
  // The reply queues are declared (by serving them) before the first command goes out: a reply to a queue that does
  // not exist yet would be refused by the broker and wait for the participant's retry.
  const consumers: { close(): Promise<void> }[] = [];
  try {
    for (const spec of options.replies) {
      consumers.push(
        await serve(transport, spec, replyForwarder(engine, spec, options.onReplyOutcome), {
          ...options.serveOptions,
          logger: withFields(logger, { component: "replies" }),
        }),
      );
    }
  } catch (error) {
    await Promise.all(consumers.map((consumer) => consumer.close()));
    throw error;
  }
  relay.start();
  poller.start();
  return {
    engine,
    // Each saga starts in a span of its own: a child of the caller's trace (an HTTP request's), else a new trace
    // that every message of the saga carries.
    start: (data) =>
      inSpan(`start ${saga.type}`, { "asyncgen.saga.type": saga.type }, () => engine.start(data)),
    async stop() {
      await poller.stop();
      await Promise.all(consumers.map((consumer) => consumer.close()));
      await relay.stop();
    },
  };
}

/** One handler per reply operation of the queue, each handing the reply to the engine. */
function replyForwarder<Data>(
  engine: SagaEngine<Data>,
  spec: ServiceSpec,
  onOutcome?: OrchestratorOptions<Data>["onReplyOutcome"],
): object {
  const forward = async (payload: unknown, context: MessageContext): Promise<void> => {
    const sagaId = Number(context.correlationId);
    if (!Number.isInteger(sagaId) || sagaId <= 0) {
      throw new SagaError(
        "SAGA_MISSING_SAGA_ID",
        `reply ${context.type} has no saga id in correlation_id (${String(context.correlationId)})`,
        { type: context.type, correlationId: context.correlationId },
      );
    }
    const outcome = await engine.handleReply(sagaId, context.type, payload, context.messageId);
    onOutcome?.(outcome, context);
    if (outcome !== "applied")
      context.logger.info({ saga: sagaId, type: context.type, outcome }, `reply ${outcome}`);
  };
  return Object.fromEntries(spec.operations.map((operation) => [operation.operationId, forward]));
}

/** A reply nobody consumes would only be noticed at the step's deadline: refuse to start instead. */
function checkRepliesConsumed<Data>(saga: SagaDefinition<Data>, replies: readonly ServiceSpec[]): void {
  const consumed = new Set(replies.flatMap((spec) => spec.operations.map((op) => op.message.name)));
  for (const step of saga.steps) {
    for (const action of [step.action, step.compensation]) {
      if (action?.kind !== "remote") continue;
      const { success, failure } = action.spec.replies;
      for (const reply of [success, failure]) {
        if (reply && !consumed.has(reply.name)) {
          throw new SagaError(
            "SAGA_REPLY_NOT_CONSUMED",
            `saga ${saga.type}: step ${step.name} waits for ${reply.name}, which none of the reply queues ` +
              `(${replies.map((spec) => spec.queue.name).join(", ") || "none given"}) consumes`,
            { saga: saga.type, step: step.name, reply: reply.name },
          );
        }
      }
    }
  }
}
