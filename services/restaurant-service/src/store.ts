import type { OrderItem } from "@saga/generated/restaurant-service";
import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  openSqlite,
  type SqliteDatabase,
} from "@saga/service-kit";

/** `MIGRATIONS[i]` moves the schema from version i to i+1 (PRAGMA user_version); append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE tickets (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     order_id INTEGER NOT NULL UNIQUE,
     customer_id INTEGER NOT NULL,
     items TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('created', 'rejected', 'approved')),
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );`,
  // Transactional outbox: replies are stored with the state change and published by the relay.
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  // Indexes for pruning consumed-message ids and sent replies past their retention.
  OUTBOX_RETENTION_MIGRATION,
];

export type TicketState = "created" | "rejected" | "approved";

export interface Ticket {
  /** The ticket_id of the messages. */
  readonly id: number;
  readonly order_id: number;
  readonly customer_id: number;
  readonly items: readonly OrderItem[];
  readonly state: TicketState;
}

interface TicketRow {
  readonly id: number;
  readonly order_id: number;
  readonly customer_id: number;
  readonly items: string;
  readonly state: TicketState;
}

const toTicket = (row: TicketRow): Ticket => ({ ...row, items: JSON.parse(row.items) as OrderItem[] });

/** The restaurant's tickets: one per order, whatever number of times the command arrives. */
export class TicketStore {
  readonly db: SqliteDatabase;
  readonly #insert;
  readonly #byOrder;
  readonly #byId;
  readonly #setState;

  /** `file` is a SQLite file (created, and its schema migrated, if needed) or `:memory:`. */
  constructor(file: string) {
    this.db = openSqlite(file, MIGRATIONS);
    this.#insert = this.db.prepare<[number, number, string, string, string]>(
      `INSERT INTO tickets (order_id, customer_id, items, state, created_at, updated_at)
       VALUES (?, ?, ?, 'created', ?, ?) ON CONFLICT (order_id) DO NOTHING`,
    );
    this.#byOrder = this.db.prepare<[number], TicketRow>(
      `SELECT id, order_id, customer_id, items, state FROM tickets WHERE order_id = ?`,
    );
    this.#byId = this.db.prepare<[number], TicketRow>(
      `SELECT id, order_id, customer_id, items, state FROM tickets WHERE id = ?`,
    );
    this.#setState = this.db.prepare<[TicketState, string, number]>(
      `UPDATE tickets SET state = ?, updated_at = ? WHERE id = ?`,
    );
  }

  /**
   * Creates the order's ticket in state `created`, or returns the one an earlier delivery of the command created
   * (`created: false`), whatever its state now.
   */
  create(
    orderId: number,
    customerId: number,
    items: readonly OrderItem[],
  ): { ticket: Ticket; created: boolean } {
    const now = new Date().toISOString();
    const { changes } = this.#insert.run(orderId, customerId, JSON.stringify(items), now, now);
    return { ticket: toTicket(this.#byOrder.get(orderId)!), created: changes === 1 };
  }

  find(id: number): Ticket | undefined {
    const row = this.#byId.get(id);
    return row && toTicket(row);
  }

  setState(id: number, state: TicketState): void {
    this.#setState.run(state, new Date().toISOString(), id);
  }

  close(): void {
    this.db.close();
  }
}
