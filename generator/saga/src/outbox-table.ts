import type { OutgoingMessage } from "@asyncgen/runtime";
import type { OutboxRowRef } from "./outbox-relay.js";

/**
 * The one outbox layout, for orchestrators and participants alike: a row holds a message exactly as the runtime built
 * (and validated) it, so the relay publishes it without knowing the contract, and "everything published" is the same
 * query in every service database: `SELECT count(*) FROM outbox WHERE sent_at IS NULL`.
 */

/** The few places where SQLite's and PostgreSQL's DDL differ. */
export interface SqlDialect {
  readonly name: "sqlite" | "postgres";
  /** An auto-assigned integer primary key. */
  readonly serialKey: string;
  /** A 64-bit integer (epoch milliseconds, ids). */
  readonly bigint: string;
  /** Raw bytes (message bodies). */
  readonly bytes: string;
  /** Extra outbox columns: on PostgreSQL, rows are leased to one instance's relay at a time. */
  readonly outboxClaimColumns: string;
}

export const SQLITE: SqlDialect = {
  name: "sqlite",
  serialKey: "INTEGER PRIMARY KEY AUTOINCREMENT",
  bigint: "INTEGER",
  bytes: "BLOB",
  outboxClaimColumns: "",
};

export const POSTGRES: SqlDialect = {
  name: "postgres",
  serialKey: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
  bigint: "BIGINT",
  bytes: "BYTEA",
  outboxClaimColumns: ",\n    claimed_by TEXT,\n    claimed_until TIMESTAMPTZ",
};

/** The outbox table (DDL), in the dialect given. */
export function outboxTable(d: SqlDialect): string {
  return `
  CREATE TABLE outbox (
    id ${d.serialKey},
    message_id TEXT NOT NULL UNIQUE,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    type TEXT NOT NULL,
    correlation_id TEXT,
    reply_to TEXT,
    timestamp ${d.bigint} NOT NULL,
    headers TEXT NOT NULL,
    body ${d.bytes} NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT${d.outboxClaimColumns}
  );
  CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;`;
}

/**
 * The columns of a parked row (one the broker kept refusing): when, and why. A migration of their own, so services
 * whose outbox predates them add them with ALTER TABLE.
 */
export function outboxParkingColumns(): string {
  return `
  ALTER TABLE outbox ADD COLUMN parked_at TEXT;
  ALTER TABLE outbox ADD COLUMN park_reason TEXT;`;
}

/** Unsent rows that are not parked, oldest first (both stores; `?` is the limit). */
export const OUTBOX_PENDING = `SELECT id, message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp,
    headers, body FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT ?`;

/** Sets a row aside (`?`: the time, the reason, the row id). */
export const OUTBOX_PARK = `UPDATE outbox SET parked_at = ?, park_reason = ? WHERE id = ?`;

/** The record of consumed messages that makes a redelivery recognisable (DDL). */
export function consumedMessagesTable(): string {
  return `
  CREATE TABLE consumed_messages (
    message_id TEXT PRIMARY KEY,
    consumed_at TEXT NOT NULL
  );`;
}

/** An unsent outbox row: the message to publish. */
export interface StoredMessage extends OutboxRowRef {
  readonly message: OutgoingMessage;
}

/** The columns of an outbox row, as both stores read them. */
export interface OutboxTableRow {
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

/** The columns an insert writes, in this order. */
export const OUTBOX_INSERT = `INSERT INTO outbox (message_id, exchange, routing_key, type, correlation_id, reply_to,
    timestamp, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const OUTBOX_COLUMNS =
  "id, message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp, headers, body";

/** The parameters of OUTBOX_INSERT for one built message. */
export function outboxInsertParams(message: OutgoingMessage, now: string): unknown[] {
  const { properties } = message;
  return [
    properties.messageId,
    message.exchange,
    message.routingKey,
    properties.type,
    properties.correlationId ?? null,
    properties.replyTo ?? null,
    properties.timestamp,
    JSON.stringify(properties.headers),
    message.body,
    now,
  ];
}

export function toStoredMessage(row: OutboxTableRow): StoredMessage {
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
