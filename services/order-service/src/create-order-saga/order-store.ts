import {
  consumedMessagesTable,
  outboxParkingColumns,
  outboxTable,
  SAGA_RETENTION_INDEXES,
  sagaTables,
  type Migration,
  type Projection,
  type SagaDatabase,
  type SqlReader,
} from "@asyncgen/saga";
import { PostgresSagaStore } from "@asyncgen/saga/postgres";
import { SqliteSagaStore } from "@asyncgen/saga/sqlite";
import type { Logger } from "pino";
import type { ServiceConfig } from "@saga/service-kit";
import {
  CREATE_ORDER_SAGA,
  type CreateOrderSagaData,
  type OrderItem,
  type OrderStatus,
} from "./definition.js";
import { THROUGHPUT_PREDICATE } from "./saga-activity.js";

/**
 * The order service's schema: the saga engine's tables, orders as a projection of saga data, then the outbox in the
 * layout every service shares (built messages). Append, never edit: databases remember how far they got.
 */
export const ORDER_SERVICE_MIGRATIONS: readonly Migration[] = [
  // The first outbox held (operation, payload) and was built when published; migration 3 replaces it.
  (d) => `${sagaTables(d)}
   CREATE TABLE outbox (
     id ${d.serialKey},
     message_id TEXT NOT NULL UNIQUE,
     correlation_id TEXT NOT NULL,
     operation TEXT NOT NULL,
     payload TEXT NOT NULL,
     created_at TEXT NOT NULL,
     sent_at TEXT${d.outboxClaimColumns}
   );
   ${consumedMessagesTable()}`,
  (d) => `CREATE TABLE orders (
     id ${d.bigint} PRIMARY KEY REFERENCES sagas (id),
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
     id ${d.serialKey},
     order_id ${d.bigint} NOT NULL REFERENCES orders (id),
     name TEXT NOT NULL,
     quantity INTEGER NOT NULL
   );`,
  // Unsent rows of the old layout are not lost: each is the command its saga awaits (`sagas.awaiting`), which
  // the deadline poller resends.
  (d) => `DROP TABLE outbox; ${outboxTable(d)} ${outboxParkingColumns()}`,
  // A unique index allows any number of NULLs on both databases: orders without a key never collide.
  () => `ALTER TABLE orders ADD COLUMN idempotency_key TEXT;
   ALTER TABLE orders ADD COLUMN request_hash TEXT;
   CREATE UNIQUE INDEX orders_idempotency_key ON orders (idempotency_key);`,
  // The dashboard's charts count the sagas started and finished in the last minutes (the index covers that read),
  // and a saga's sequence diagram reads its outbox rows.
  () => `CREATE INDEX saga_history_status_at ON saga_history (status, at);
   CREATE INDEX outbox_correlation ON outbox (correlation_id);`,
  // What the retention pruning walks: consumed and sent times, finished sagas by finish time.
  SAGA_RETENTION_INDEXES,
  // The participants' ids are BIGINT identities on PostgreSQL: the order keeps them whole (SQLite's INTEGER already
  // holds 64 bits).
  (d) =>
    d.name === "postgres"
      ? `ALTER TABLE orders ALTER COLUMN restaurant_ticket_id TYPE BIGINT, ALTER COLUMN transaction_id TYPE BIGINT;`
      : "",
  // The throughput chart reads only the entries that start and end sagas, two of a saga's ten or so: indexed by
  // time alone, they are appended where the last ones went, where (status, at) put every entry on the last page of
  // its status. A group commit on SQLite wrote 31 WAL pages on average before, 26 without that index (`npm run
  // bench`, 64 in flight).
  () => `DROP INDEX saga_history_status_at;
   CREATE INDEX saga_history_throughput ON saga_history (at) WHERE ${THROUGHPUT_PREDICATE};`,
];

/** Keeps `orders` in step with the saga's data in the saga's own transaction. The order id is the saga id. */
const orderProjection: Projection<CreateOrderSagaData> = (sagaId, data, created) => {
  const now = new Date().toISOString();
  const { status, restaurant_ticket_id: ticket, transaction_id: transaction } = data;
  if (!created) {
    return [
      {
        sql: `UPDATE orders SET status = ?, restaurant_ticket_id = ?, transaction_id = ?, updated_at = ?
              WHERE id = ? AND (status, restaurant_ticket_id, transaction_id) IS DISTINCT FROM (?, ?, ?)`,
        params: [status, ticket, transaction, now, sagaId, status, ticket, transaction],
      },
    ];
  }
  return [
    {
      sql: `INSERT INTO orders (id, status, consumer_id, card_id, price, restaurant_ticket_id, transaction_id,
              created_at, updated_at, idempotency_key, request_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      params: [
        sagaId,
        status,
        data.consumer_id,
        data.card_id,
        data.price,
        ticket,
        transaction,
        now,
        now,
        data.idempotency?.key ?? null,
        data.idempotency?.request_hash ?? null,
      ],
    },
    ...data.items.map(({ name, quantity }) => ({
      sql: `INSERT INTO order_items (order_id, name, quantity) VALUES (?, ?, ?)`,
      params: [sagaId, name, quantity],
    })),
  ];
};

/** Where the order service keeps its state: PostgreSQL when `databaseUrl` is given, else the SQLite file. */
export type OrderDatabaseLocation = { readonly databaseUrl: string } | { readonly databaseFile: string };

/** `DATABASE_URL` when set, else `order-service.sqlite` in `DATA_DIR`. */
export function orderDatabaseLocation(config: ServiceConfig): OrderDatabaseLocation {
  return config.databaseUrl
    ? { databaseUrl: config.databaseUrl }
    : { databaseFile: `${config.dataDir}/order-service.sqlite` };
}

export async function openOrderDatabase(
  location: OrderDatabaseLocation & { readonly outboxLeaseMs?: number },
  logger: Logger,
): Promise<SagaDatabase<CreateOrderSagaData>> {
  if ("databaseUrl" in location) {
    return PostgresSagaStore.open({
      url: location.databaseUrl,
      migrations: ORDER_SERVICE_MIGRATIONS,
      schemaName: "order_service",
      type: CREATE_ORDER_SAGA,
      project: orderProjection,
      logger,
      outboxLeaseMs: location.outboxLeaseMs,
    });
  }
  return SqliteSagaStore.open(
    location.databaseFile,
    ORDER_SERVICE_MIGRATIONS,
    CREATE_ORDER_SAGA,
    orderProjection,
  );
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

/** Read side of the HTTP API and the dashboard; the same queries on SQLite and PostgreSQL. */
export class OrderQueries {
  readonly #db: SqlReader;

  constructor(db: SqlReader) {
    this.#db = db;
  }

  async order(id: number): Promise<OrderView | undefined> {
    const [row] = await this.#db.all<Omit<OrderView, "items" | "saga_id">>(
      `SELECT id, status, consumer_id, card_id, price, restaurant_ticket_id, transaction_id, created_at, updated_at
       FROM orders WHERE id = ?`,
      [id],
    );
    if (!row) return undefined;
    const items = await this.#db.all<OrderItem>(
      `SELECT name, quantity FROM order_items WHERE order_id = ? ORDER BY id`,
      [id],
    );
    return { ...row, saga_id: row.id, items };
  }

  async saga(id: number): Promise<SagaView | undefined> {
    const [row] = await this.#db.all<SagaRow>(`SELECT * FROM sagas WHERE id = ?`, [id]);
    if (!row) return undefined;
    const history = await this.#db.all<{ status: string; at: string; detail: string | null }>(
      `SELECT status, at, detail FROM saga_history WHERE saga_id = ? ORDER BY id`,
      [id],
    );
    return {
      ...sagaView(row),
      history: history.map((h) => ({
        status: h.status,
        at: h.at,
        ...(h.detail === null ? {} : { detail: JSON.parse(h.detail) as unknown }),
      })),
    };
  }

  async sagas(options: { limit: number; status?: string }): Promise<SagaView[]> {
    const rows = options.status
      ? await this.#db.all<SagaRow>(`SELECT * FROM sagas WHERE status = ? ORDER BY id DESC LIMIT ?`, [
          options.status,
          options.limit,
        ])
      : await this.#db.all<SagaRow>(`SELECT * FROM sagas ORDER BY id DESC LIMIT ?`, [options.limit]);
    return rows.map(sagaView);
  }

  async counts(): Promise<Record<"running" | "succeeded" | "failed", number>> {
    const rows = await this.#db.all<{ state: "running" | "succeeded" | "failed"; n: number }>(
      `SELECT CASE WHEN status IN ('succeeded', 'failed') THEN status ELSE 'running' END AS state, COUNT(*) AS n
       FROM sagas GROUP BY 1`,
    );
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
