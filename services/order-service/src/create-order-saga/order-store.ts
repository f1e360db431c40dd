import type { SqliteDatabase } from "@saga/service-kit";
import { SAGA_MIGRATIONS, SqliteSagaStore, type Projection } from "../saga-engine/sqlite-store.js";
import {
  CREATE_ORDER_SAGA,
  type CreateOrderSagaData,
  type OrderItem,
  type OrderStatus,
} from "./definition.js";

/** The order service's schema: the saga engine's tables, then orders as a projection of saga data. */
export const ORDER_SERVICE_MIGRATIONS = [
  ...SAGA_MIGRATIONS,
  `CREATE TABLE orders (
     id INTEGER PRIMARY KEY REFERENCES sagas (id),
     status TEXT NOT NULL,
     consumer_id INTEGER NOT NULL,
     card_id INTEGER NOT NULL,
     price INTEGER NOT NULL,
     restaurant_ticket_id INTEGER,
     transaction_id INTEGER,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE order_items (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     order_id INTEGER NOT NULL REFERENCES orders (id),
     name TEXT NOT NULL,
     quantity INTEGER NOT NULL
   );`,
];

/** Keeps `orders` in step with the saga's data in the saga's own transaction. The order id is the saga id. */
function orderProjection(db: SqliteDatabase): Projection<CreateOrderSagaData> {
  const insertOrder = db.prepare(
    `INSERT INTO orders (id, status, consumer_id, card_id, price, restaurant_ticket_id, transaction_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertItem = db.prepare(`INSERT INTO order_items (order_id, name, quantity) VALUES (?, ?, ?)`);
  const update = db.prepare(
    `UPDATE orders SET status = ?, restaurant_ticket_id = ?, transaction_id = ?, updated_at = ?
     WHERE id = ? AND (status, restaurant_ticket_id, transaction_id) IS NOT (?, ?, ?)`,
  );
  return (_db, sagaId, data, created) => {
    const now = new Date().toISOString();
    if (created) {
      insertOrder.run(
        sagaId,
        data.status,
        data.consumer_id,
        data.card_id,
        data.price,
        data.restaurant_ticket_id,
        data.transaction_id,
        now,
        now,
      );
      for (const { name, quantity } of data.items) insertItem.run(sagaId, name, quantity);
      return;
    }
    const { status, restaurant_ticket_id: ticket, transaction_id: transaction } = data;
    update.run(status, ticket, transaction, now, sagaId, status, ticket, transaction);
  };
}

export function createOrderSagaStore(db: SqliteDatabase): SqliteSagaStore<CreateOrderSagaData> {
  return new SqliteSagaStore<CreateOrderSagaData>(db, CREATE_ORDER_SAGA, orderProjection(db));
}

export interface OrderView {
  readonly id: number;
  readonly saga_id: number;
  readonly status: OrderStatus;
  readonly consumer_id: number;
  readonly card_id: number;
  readonly price: number;
  readonly items: readonly OrderItem[];
  readonly restaurant_ticket_id: number | null;
  readonly transaction_id: number | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface SagaView {
  readonly id: number;
  readonly type: string;
  readonly order_id: number;
  readonly status: string;
  readonly version: number;
  readonly failed_step: string | null;
  readonly failure_details: unknown;
  readonly created_at: string;
  readonly updated_at: string;
  readonly history?: readonly { status: string; at: string; detail?: unknown }[];
}

/** Read side of the HTTP API. */
export class OrderQueries {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  order(id: number): OrderView | undefined {
    const row = this.#db.prepare(`SELECT * FROM orders WHERE id = ?`).get(id) as
      Omit<OrderView, "items" | "saga_id"> | undefined;
    if (!row) return undefined;
    const items = this.#db
      .prepare(`SELECT name, quantity FROM order_items WHERE order_id = ? ORDER BY id`)
      .all(id) as OrderItem[];
    return { ...row, saga_id: row.id, items };
  }

  saga(id: number): SagaView | undefined {
    const row = this.#db.prepare(`SELECT * FROM sagas WHERE id = ?`).get(id) as SagaRow | undefined;
    if (!row) return undefined;
    const history = (
      this.#db
        .prepare(`SELECT status, at, detail FROM saga_history WHERE saga_id = ? ORDER BY id`)
        .all(id) as {
        status: string;
        at: string;
        detail: string | null;
      }[]
    ).map((h) => ({
      status: h.status,
      at: h.at,
      ...(h.detail === null ? {} : { detail: JSON.parse(h.detail) as unknown }),
    }));
    return { ...sagaView(row), history };
  }

  sagas(options: { limit: number; status?: string }): SagaView[] {
    const rows = (
      options.status
        ? this.#db
            .prepare(`SELECT * FROM sagas WHERE status = ? ORDER BY id DESC LIMIT ?`)
            .all(options.status, options.limit)
        : this.#db.prepare(`SELECT * FROM sagas ORDER BY id DESC LIMIT ?`).all(options.limit)
    ) as SagaRow[];
    return rows.map(sagaView);
  }

  counts(): Record<"running" | "succeeded" | "failed", number> {
    const rows = this.#db
      .prepare(
        `SELECT CASE WHEN status IN ('succeeded', 'failed') THEN status ELSE 'running' END AS state, COUNT(*) AS n
         FROM sagas GROUP BY state`,
      )
      .all() as { state: "running" | "succeeded" | "failed"; n: number }[];
    const counts = { running: 0, succeeded: 0, failed: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }
}

interface SagaRow {
  id: number;
  type: string;
  status: string;
  version: number;
  failed_step: string | null;
  failure_details: string | null;
  created_at: string;
  updated_at: string;
}

function sagaView(row: SagaRow): SagaView {
  return {
    id: row.id,
    type: row.type,
    order_id: row.id,
    status: row.status,
    version: row.version,
    failed_step: row.failed_step,
    failure_details: row.failure_details === null ? null : (JSON.parse(row.failure_details) as unknown),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
