import { createHash } from "node:crypto";
import type { SqlReader } from "@asyncgen/saga";
import type { CreateOrderSagaData } from "./definition.js";

/** How long an Idempotency-Key is remembered after its order was created: 24 hours. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** What POST /orders takes. */
export type OrderRequest = Pick<CreateOrderSagaData, "consumer_id" | "card_id" | "price" | "items">;

/** The same key sent again with a different body: the first request's order stands; the client has a bug. */
export class IdempotencyKeyReused extends Error {
  override name = "IdempotencyKeyReused";
  readonly statusCode = 422;
  readonly code = "HTTP_IDEMPOTENCY_KEY_REUSED";
}

/**
 * Order creation that a client may retry: with an Idempotency-Key, the key and a hash of the request are stored on
 * the order row, in the transaction that creates the saga and its order (a unique index on the key), so a retry,
 * however concurrent, finds the first request's order instead of creating another. Of parallel requests with one key,
 * all but one lose the insert (their transaction rolls back whole) and answer with the winner's order.
 */
export class IdempotentOrders {
  readonly #db: SqlReader;
  readonly #start: (data: CreateOrderSagaData) => Promise<number>;
  readonly #retentionMs: number;
  readonly #now: () => number;

  constructor(
    db: SqlReader,
    start: (data: CreateOrderSagaData) => Promise<number>,
    retentionMs = IDEMPOTENCY_RETENTION_MS,
    now: () => number = Date.now,
  ) {
    this.#db = db;
    this.#start = start;
    this.#retentionMs = retentionMs;
    this.#now = now;
  }

  /** Starts the saga of a new order, or returns the order a request with this key already created. */
  async start(order: OrderRequest, idempotencyKey?: string): Promise<number> {
    const data = {
      consumer_id: order.consumer_id,
      card_id: order.card_id,
      price: order.price,
      items: order.items,
      status: "pending_validation",
      restaurant_ticket_id: null,
      transaction_id: null,
    } as const;
    if (idempotencyKey === undefined) return this.#start(data);
    const requestHash = hashRequest(order);
    const earlier = await this.#earlier(idempotencyKey, requestHash);
    if (earlier !== undefined) return earlier;
    try {
      return await this.#start({ ...data, idempotency: { key: idempotencyKey, request_hash: requestHash } });
    } catch (error) {
      // Lost the race to a concurrent request with the same key (its unique index entry came first).
      const winner = await this.#earlier(idempotencyKey, requestHash);
      if (winner !== undefined) return winner;
      throw error;
    }
  }

  /** The order created with this key within the retention, checked against the request; an older key is released. */
  async #earlier(key: string, requestHash: string): Promise<number | undefined> {
    const [row] = await this.#db.all<{ id: number; request_hash: string; created_at: string }>(
      `SELECT id, request_hash, created_at FROM orders WHERE idempotency_key = ?`,
      [key],
    );
    if (!row) return undefined;
    if (Date.parse(row.created_at) < this.#now() - this.#retentionMs) {
      await this.#db.all(`UPDATE orders SET idempotency_key = NULL WHERE id = ? RETURNING id`, [row.id]);
      return undefined;
    }
    if (row.request_hash !== requestHash) {
      throw new IdempotencyKeyReused(
        `Idempotency-Key "${key}" was used for order ${row.id} with a different request body`,
      );
    }
    return Number(row.id);
  }
}

/** sha256 of the request with its object keys sorted, so a retry that orders its JSON differently still matches. */
export function hashRequest(order: OrderRequest): string {
  return createHash("sha256").update(canonicalJson(order)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
