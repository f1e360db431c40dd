import { openSqlite, type SqliteDatabase } from "@saga/service-kit";

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
];

export type TicketState = "created" | "rejected" | "approved";

export interface Ticket {
  readonly id: number;
  readonly order_id: number;
  readonly customer_id: number;
  readonly state: TicketState;
}

/** The restaurant's tickets: one per order, whatever number of times the command arrives. */
export class TicketStore {
  readonly db: SqliteDatabase;
  readonly #insert;
  readonly #byOrder;
  readonly #byId;
  readonly #setState;

  constructor(file: string) {
    this.db = openSqlite(file, MIGRATIONS);
    this.#insert = this.db.prepare(
      `INSERT INTO tickets (order_id, customer_id, items, state, created_at, updated_at)
       VALUES (?, ?, ?, 'created', ?, ?) ON CONFLICT (order_id) DO NOTHING`,
    );
    this.#byOrder = this.db.prepare(
      `SELECT id, order_id, customer_id, state FROM tickets WHERE order_id = ?`,
    );
    this.#byId = this.db.prepare(`SELECT id, order_id, customer_id, state FROM tickets WHERE id = ?`);
    this.#setState = this.db.prepare(`UPDATE tickets SET state = ?, updated_at = ? WHERE id = ?`);
  }

  /** Creates the order's ticket, or returns the one a previous delivery created. */
  create(orderId: number, customerId: number, items: unknown): Ticket {
    const now = new Date().toISOString();
    this.#insert.run(orderId, customerId, JSON.stringify(items), now, now);
    return this.#byOrder.get(orderId) as Ticket;
  }

  find(id: number): Ticket | undefined {
    return this.#byId.get(id) as Ticket | undefined;
  }

  setState(id: number, state: TicketState): void {
    this.#setState.run(state, new Date().toISOString(), id);
  }

  close(): void {
    this.db.close();
  }
}
