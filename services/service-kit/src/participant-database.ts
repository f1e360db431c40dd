import type { UnitOfWork } from "@asyncgen/runtime";
import type { OutboxSource, RetentionDatabase, StoredMessage } from "@asyncgen/saga";

/**
 * A participant's own statements (its business tables), written once with `?` placeholders for both databases. Run
 * from a handler, they join the transaction of the message being handled (on SQLite the connection's, on PostgreSQL
 * the one its batch of messages shares); elsewhere each is a statement of its own.
 */
export interface ParticipantSql {
  readonly dialect: "sqlite" | "postgres";
  /** The rows a query returns. */
  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a write; resolves the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/**
 * Where a participant keeps its state, whichever the database: its statements, the runtime's unit of work (dedup
 * record, business writes and outbox rows of a message committed together) and the source its outbox relay reads.
 */
export interface ParticipantDatabase extends UnitOfWork, OutboxSource<StoredMessage> {
  readonly sql: ParticipantSql;
  /** Where the retention pruning runs its statements: each one on its own, outside any message's transaction. */
  readonly retention: RetentionDatabase;
  /** Called after each commit that stored messages (the relay's kick). */
  onCommit: () => void;
  /** Outbox rows committed and not yet published (saga_outbox_backlog). */
  pendingCount(): Promise<number>;
  /** Starts what runs beside the relay (the PostgreSQL lease heartbeat). */
  start(): void;
  /** After the last transaction in flight: hands back what it holds and disconnects. */
  close(): Promise<void>;
}
