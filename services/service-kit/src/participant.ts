import type { ServeOptions, Transport, UnitOfWork } from "@asyncgen/runtime";
import type { Logger } from "pino";
import { DEFAULT_RETENTION, OutboxRelay, RetentionPruner, type RetentionPolicy } from "@asyncgen/saga";
import { exclusive, sqliteReader, type SqliteDatabase } from "@asyncgen/saga/sqlite";
import type { ServiceMetrics } from "./metrics.js";
import { publishStoredMessage, SqliteOutbox } from "./sqlite-outbox.js";

/** What every saga participant is started with. */
export interface ParticipantOptions {
  readonly transport: Transport;
  /** SQLite file (created and migrated at start), or `:memory:`. */
  readonly databaseFile: string;
  readonly logger: Logger;
  /** Wait before a technically failed command goes back to the queue. Default: the runtime's backoff. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** How often the outbox relay looks for rows left unsent (by a crash or a broker outage). Default 500 ms. */
  readonly relayIntervalMs?: number;
  /** Counts the outbox backlog and times each commit (pass the transport through meteredTransport too). */
  readonly metrics?: ServiceMetrics;
  /** How long consumed-message ids and sent outbox rows are kept (the settings' retention). Default DEFAULT_RETENTION. */
  readonly retention?: RetentionPolicy;
}

/**
 * A participant's store: its SQLite database (whose migrations include OUTBOX_MIGRATION, and OUTBOX_RETENTION_MIGRATION
 * for the indexes its pruning walks), closed at stop.
 */
export interface ParticipantStore {
  readonly db: SqliteDatabase;
  close(): void;
}

export interface RunningParticipant {
  /** Stops consuming, lets the transactions in flight finish, stops the relay and closes the database. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a saga participant on the transactional outbox: opens its store, starts the outbox relay (which first
 * publishes whatever an earlier run committed but did not send), then serves its queue with the store's database as
 * the unit of work. A command's state change, its reply and its dedup record commit together; the command is acked
 * after the commit, and the relay publishes the reply with confirms.
 */
export async function startParticipant<Store extends ParticipantStore>(
  options: ParticipantOptions,
  openStore: (databaseFile: string) => Store,
  serve: (store: Store, serveOptions: ServeOptions) => Promise<{ close(): Promise<void> }>,
): Promise<RunningParticipant> {
  const { logger } = options;
  const store = openStore(options.databaseFile);
  const outbox = new SqliteOutbox(store.db);
  const relay = new OutboxRelay(
    outbox,
    publishStoredMessage(options.transport),
    logger.child({ component: "outbox" }),
    options.relayIntervalMs,
  );
  outbox.onCommit = () => relay.kick();
  // Consumed-message ids and sent replies are bookkeeping: pruned past their windows (see RetentionPolicy).
  const pruner = new RetentionPruner(sqliteReader(store.db), {
    policy: options.retention ?? DEFAULT_RETENTION,
    tables: ["consumed_messages", "outbox"],
    logger: logger.child({ component: "retention" }),
    isConnected: () => options.transport.isConnected(),
  });
  const { metrics } = options;
  if (metrics) {
    const backlog = store.db.prepare(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`).pluck();
    metrics.countOutboxWith(async () => Number(backlog.get()));
  }
  const close = async () => {
    await pruner.stop();
    await relay.stop();
    await exclusive(store.db, () => store.close()); // after the last transaction in flight
  };
  try {
    relay.start();
    pruner.start();
    const server = await serve(store, {
      logger,
      unitOfWork: metrics ? timedCommits(outbox, metrics) : outbox,
      ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
    });
    let stopped: Promise<void> | undefined;
    return {
      stop: () =>
        (stopped ??= (async () => {
          await server.close();
          await close();
        })()),
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The unit of work with each transaction timed (saga_commit_duration_seconds). */
function timedCommits(inner: UnitOfWork, metrics: ServiceMetrics): UnitOfWork {
  return {
    async transact(messageId, work) {
      const stop = metrics.commitSeconds.startTimer();
      try {
        return await inner.transact(messageId, work);
      } finally {
        stop();
      }
    },
  };
}
