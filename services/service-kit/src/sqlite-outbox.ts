import type { OutgoingMessage, Transport, UnitOfWork } from "@saga/runtime";
import type { OutboxRowRef, OutboxSource } from "./outbox-relay.js";
import type { SqliteDatabase } from "./sqlite.js";
import { exclusive, transaction } from "./sqlite-transaction.js";

/**
 * The outbox and the consumed-message record of a service that answers messages; append it to the service's own
 * migrations. The table names are the order service's, so "every outbox drained" is the same query in every
 * service database: `SELECT count(*) FROM outbox WHERE sent_at IS NULL`. A row holds the message exactly as built
 * (and validated) by the runtime, so the relay publishes it without knowing the contract.
 */
export const OUTBOX_MIGRATION = `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    type TEXT NOT NULL,
    correlation_id TEXT,
    reply_to TEXT,
    timestamp INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT
  );
  CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
  CREATE TABLE consumed_messages (
    message_id TEXT PRIMARY KEY,
    consumed_at TEXT NOT NULL
  );`;

/** An unsent outbox row: the message to publish. */
export interface StoredMessage extends OutboxRowRef {
  readonly message: OutgoingMessage;
}

interface OutboxTableRow {
  readonly id: number;
  readonly message_id: string;
  readonly exchange: string;
  readonly routing_key: string;
  readonly type: string;
  readonly correlation_id: string | null;
  readonly reply_to: string | null;
  readonly timestamp: number;
  readonly headers: string;
  readonly body: Buffer;
}

/**
 * The runtime's UnitOfWork on a service's SQLite database (which must have OUTBOX_MIGRATION), and the source its
 * OutboxRelay reads. A handler's writes through the same connection, the messages it answers with and the
 * consumed-message record commit in one transaction; `onCommit` then tells the relay there is something to send.
 */
export class SqliteOutbox implements UnitOfWork, OutboxSource<StoredMessage> {
  /** Called after each commit that stored messages (the relay's kick). */
  onCommit: () => void = () => {};
  readonly #db: SqliteDatabase;
  readonly #isConsumed;
  readonly #recordConsumed;
  readonly #store;
  readonly #pending;
  readonly #markSent;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#isConsumed = db.prepare<[string]>(`SELECT 1 FROM consumed_messages WHERE message_id = ?`).pluck();
    this.#recordConsumed = db.prepare<[string, string]>(
      `INSERT INTO consumed_messages (message_id, consumed_at) VALUES (?, ?)`,
    );
    this.#store = db.prepare(
      `INSERT INTO outbox (message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp, headers,
         body, created_at)
       VALUES (@message_id, @exchange, @routing_key, @type, @correlation_id, @reply_to, @timestamp, @headers, @body,
         @created_at)`,
    );
    this.#pending = db.prepare<[number], OutboxTableRow>(
      `SELECT id, message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp, headers, body
       FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?`,
    );
    this.#markSent = db.prepare<[string, number]>(`UPDATE outbox SET sent_at = ? WHERE id = ?`);
  }

  async transact(
    messageId: string,
    work: () => Promise<readonly OutgoingMessage[]>,
  ): Promise<"committed" | "duplicate"> {
    let stored = 0;
    const result = await transaction(this.#db, async () => {
      if (this.#isConsumed.get(messageId) !== undefined) return "duplicate" as const;
      const messages = await work();
      const now = new Date().toISOString();
      for (const message of messages) this.#store.run(toTableRow(message, now));
      this.#recordConsumed.run(messageId, now);
      stored = messages.length;
      return "committed" as const;
    });
    if (stored > 0) this.onCommit();
    return result;
  }

  pendingOutbox(limit: number): Promise<StoredMessage[]> {
    return exclusive(this.#db, () => this.#pending.all(limit).map(toStoredMessage));
  }

  /** Marks published rows in one unit of work (committed with the handlers' units queued beside it). */
  markSent(ids: readonly number[]): Promise<void> {
    return transaction(this.#db, async () => {
      const now = new Date().toISOString();
      for (const id of ids) this.#markSent.run(now, id);
    });
  }
}

/** The relay's publish for SqliteOutbox rows: the stored message as built, persistent, mandatory and confirmed. */
export function publishStoredMessage(transport: Transport): (row: StoredMessage) => Promise<void> {
  return (row) => transport.publish(row.message);
}

function toTableRow(message: OutgoingMessage, now: string): Record<string, unknown> {
  const { properties } = message;
  return {
    message_id: properties.messageId,
    exchange: message.exchange,
    routing_key: message.routingKey,
    type: properties.type,
    correlation_id: properties.correlationId ?? null,
    reply_to: properties.replyTo ?? null,
    timestamp: properties.timestamp,
    headers: JSON.stringify(properties.headers),
    body: message.body,
    created_at: now,
  };
}

function toStoredMessage(row: OutboxTableRow): StoredMessage {
  return {
    id: row.id,
    messageId: row.message_id,
    message: {
      exchange: row.exchange,
      routingKey: row.routing_key,
      body: row.body,
      properties: {
        messageId: row.message_id,
        type: row.type,
        correlationId: row.correlation_id ?? undefined,
        replyTo: row.reply_to ?? undefined,
        timestamp: row.timestamp,
        contentType: "application/json",
        headers: JSON.parse(row.headers) as Record<string, unknown>,
      },
    },
  };
}
