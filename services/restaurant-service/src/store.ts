import type { OrderItem } from "@saga/generated/restaurant-service";
import {
  OUTBOX_MIGRATION,
  OUTBOX_PARKING_MIGRATION,
  OUTBOX_RETENTION_MIGRATION,
  type Migration,
  type ParticipantSql,
} from "@saga/service-kit";

/** `TICKET_MIGRATIONS[i]` moves the schema from version i to i+1, on SQLite and PostgreSQL; append, never edit. */
export const TICKET_MIGRATIONS: readonly Migration[] = [
  // id (the ticket_id of the messages): the database's own key, a BIGINT identity on PostgreSQL, so ids are unique
  // across instances; order_id and customer_id hold the contract's bounds (up to 2^31-1) on both databases.
  (d) => `CREATE TABLE tickets (
     id ${d.serialKey},
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

const COLUMNS = "id, order_id, customer_id, items, state";

/** The restaurant's tickets: one per order, whatever number of times (or instances) the command arrives at. */
export class TicketStore {
  readonly #sql: ParticipantSql;

  constructor(sql: ParticipantSql) {
    this.#sql = sql;
  }

  /**
   * Creates the order's ticket in state `created`, or returns the one an earlier delivery of the command created
   * (`created: false`), whatever its state now. Two instances at once: the second insert waits for the first's
   * commit, then returns its ticket.
   */
  async create(
    orderId: number,
    customerId: number,
    items: readonly OrderItem[],
  ): Promise<{ ticket: Ticket; created: boolean }> {
    const now = new Date().toISOString();
    // One statement when the ticket is new (RETURNING gives it back); the read only after a conflict.
    const [created] = await this.#sql.all<TicketRow>(
      `INSERT INTO tickets (order_id, customer_id, items, state, created_at, updated_at)
       VALUES (?, ?, ?, 'created', ?, ?) ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
      [orderId, customerId, JSON.stringify(items), now, now],
    );
    if (created) return { ticket: toTicket(created), created: true };
    const [row] = await this.#sql.all<TicketRow>(`SELECT ${COLUMNS} FROM tickets WHERE order_id = ?`, [
      orderId,
    ]);
    return { ticket: toTicket(row!), created: false };
  }

  async find(id: number): Promise<Ticket | undefined> {
    const [row] = await this.#sql.all<TicketRow>(`SELECT ${COLUMNS} FROM tickets WHERE id = ?`, [id]);
    return row && toTicket(row);
  }

  /**
   * Moves a ticket from `from` to `to`; false when it is no longer in `from` (another delivery, perhaps on another
   * instance, changed it since it was read): the caller decides again on what it is now.
   */
  async changeState(id: number, from: TicketState, to: TicketState): Promise<boolean> {
    const changes = await this.#sql.run(
      `UPDATE tickets SET state = ?, updated_at = ? WHERE id = ? AND state = ?`,
      [to, new Date().toISOString(), id, from],
    );
    return changes === 1;
  }
}
