import type { ServeOptions, Transport, UnitOfWork } from "@asyncgen/runtime";
import type { Logger } from "pino";
import {
  countParkedMessages,
  DEFAULT_RETENTION,
  OutboxRelay,
  parkedMessages,
  RetentionPruner,
  type Migration,
  type ParkedMessage,
  type RetentionPolicy,
} from "@asyncgen/saga";
import type { ServiceConfig } from "./config.js";
import type { ServiceMetrics } from "./metrics.js";
import type { ParticipantDatabase, ParticipantSql } from "./participant-database.js";
import { publishStoredMessage } from "./publish-stored-message.js";

/**
 * Where a participant keeps its state: a SQLite file (created and migrated at start; `:memory:` in tests), or, with
 * `databaseUrl`, PostgreSQL (its tables in a schema of its own, any number of instances on one database).
 */
export type ParticipantDatabaseLocation =
  | { readonly databaseFile: string }
  | { readonly databaseUrl: string; readonly outboxLeaseMs?: number | undefined };

/** `DATABASE_URL` when set (with OUTBOX_LEASE_MS), else `<name>.sqlite` in `DATA_DIR`. */
export function participantDatabaseLocation(
  config: ServiceConfig,
  name: string,
): ParticipantDatabaseLocation {
  return config.databaseUrl
    ? { databaseUrl: config.databaseUrl, outboxLeaseMs: config.outboxLeaseMs }
    : { databaseFile: `${config.dataDir}/${name}.sqlite` };
}

/** What every saga participant is started with. */
export type ParticipantOptions = ParticipantDatabaseLocation & {
  readonly transport: Transport;
  readonly logger: Logger;
  /** Wait before a technically failed command goes back to the queue. Default: the runtime's backoff. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** How often the outbox relay looks for rows left unsent (by a crash or a broker outage). Default 500 ms. */
  readonly relayIntervalMs?: number;
  /** Counts the outbox backlog and times each commit (pass the transport through meteredTransport too). */
  readonly metrics?: ServiceMetrics;
  /** How long consumed-message ids and sent outbox rows are kept (the settings' retention). Default DEFAULT_RETENTION. */
  readonly retention?: RetentionPolicy;
};

/** What a participant is made of: its tables, its store over them, and the generated serve function. */
export interface ParticipantDefinition<Store> {
  /** Its PostgreSQL schema (e.g. `restaurant_service`), which also names its migrations there. */
  readonly schema: string;
  /** Its tables, then OUTBOX_MIGRATION, OUTBOX_PARKING_MIGRATION and OUTBOX_RETENTION_MIGRATION; append, never edit. */
  readonly migrations: readonly Migration[];
  readonly openStore: (sql: ParticipantSql) => Store;
  readonly serve: (store: Store, serveOptions: ServeOptions) => Promise<{ close(): Promise<void> }>;
}

export interface RunningParticipant {
  /** The newest outbox rows the broker kept refusing, parked with their reason (for a dashboard beside it). */
  parked(): Promise<readonly ParkedMessage[]>;
  /** Stops consuming, lets the transactions in flight finish, stops the relay and closes the database. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Opens the participant's database where `location` says. Each kind's module (with pg, or with the native
 * better-sqlite3) is loaded only here, when it is the one asked for: a participant on SQLite never loads pg, nor one
 * on PostgreSQL better-sqlite3 (in the bundles they run from, each is a chunk of its own).
 */
export async function openParticipantDatabase(
  location: ParticipantDatabaseLocation,
  definition: Pick<ParticipantDefinition<unknown>, "schema" | "migrations">,
  logger: Logger,
): Promise<ParticipantDatabase> {
  if ("databaseUrl" in location) {
    const { PostgresParticipantDatabase } = await import("./postgres-outbox.js");
    return PostgresParticipantDatabase.open({
      url: location.databaseUrl,
      schema: definition.schema,
      migrations: definition.migrations,
      logger,
      outboxLeaseMs: location.outboxLeaseMs,
    });
  }
  const { SqliteParticipantDatabase } = await import("./sqlite-outbox.js");
  return new SqliteParticipantDatabase(location.databaseFile, definition.migrations);
}

/**
 * Starts a saga participant on the transactional outbox: opens its database, starts the outbox relay (which first
 * publishes whatever an earlier run committed but did not send), then serves its queue with the database as the
 * unit of work. A command's state change, its reply and its dedup record commit together; the command is acked
 * after the commit, and the relay publishes the reply with confirms.
 */
export async function startParticipant<Store>(
  options: ParticipantOptions,
  definition: ParticipantDefinition<Store>,
): Promise<RunningParticipant> {
  const { logger } = options;
  const database = await openParticipantDatabase(options, definition, logger);
  const relay = new OutboxRelay(
    database,
    publishStoredMessage(options.transport),
    logger.child({ component: "outbox" }),
    options.relayIntervalMs,
  );
  database.onCommit = () => relay.afterCommit();
  // Consumed-message ids and sent replies are bookkeeping: pruned past their windows (see RetentionPolicy).
  const pruner = new RetentionPruner(database.retention, {
    policy: options.retention ?? DEFAULT_RETENTION,
    tables: ["consumed_messages", "outbox"],
    logger: logger.child({ component: "retention" }),
    isConnected: () => options.transport.isConnected(),
  });
  const { metrics } = options;
  if (metrics) {
    metrics.countOutboxWith(() => database.pendingCount());
    metrics.countParkedWith(() => countParkedMessages(database.sql));
  }
  const close = async () => {
    await pruner.stop();
    await relay.stop();
    await database.close();
  };
  try {
    database.start();
    relay.start();
    pruner.start();
    const server = await definition.serve(definition.openStore(database.sql), {
      logger,
      unitOfWork: metrics ? timedCommits(database, metrics) : database,
      ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
    });
    let stopped: Promise<void> | undefined;
    return {
      parked: () => parkedMessages(database.sql),
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
