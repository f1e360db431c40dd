import type pg from "pg";
import type { OutgoingMessage } from "@asyncgen/runtime";
import { outboxInsertParams, type StoredMessage } from "../outbox-table.js";
import { detailJson, type SqlStatement } from "../sql.js";
import type { UnitOfWork } from "../state.js";

/**
 * The set-based statements one batch of transitions writes on PostgreSQL: each takes one array per column
 * (`unnest`), so a batch of any size is a handful of statements. The store runs them, in this order, in one
 * transaction: lock, insert new sagas, update the others (version-checked), history, outbox, consumed messages.
 * The participants' group commit (in service-kit) writes its consumed messages and outbox rows with the same two.
 */

/** A transition in a batch: its unit of work, and whether it creates its saga (the id already reserved). */
export interface BatchedTransition<Data> {
  readonly work: UnitOfWork<Data>;
  readonly created: boolean;
}

/** Locks the sagas a batch updates in id order, so two instances' batches never wait on each other in a cycle. */
export function lockSagas(ids: readonly number[]): SqlStatement {
  return { sql: `SELECT id FROM sagas WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, params: [ids] };
}

/** The saga columns a transition sets, as one array each, in the order of the statements below. */
function sagaColumns<Data>(batch: readonly BatchedTransition<Data>[]): unknown[][] {
  const columns: unknown[][] = [[], [], [], [], [], [], []];
  for (const { work } of batch) {
    const { next } = work;
    const values = [
      next.id,
      next.status,
      JSON.stringify(next.data),
      next.awaiting ? JSON.stringify(next.awaiting) : null,
      next.awaiting?.deadlineAt ?? null,
      next.failedStep,
      next.failureDetails === null ? null : JSON.stringify(next.failureDetails),
    ];
    values.forEach((value, index) => columns[index]!.push(value));
  }
  return columns;
}

const SAGA_ARRAYS = `$1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]`;
const SAGA_FIELDS = `id, status, data, awaiting, deadline_at, failed_step, failure_details`;

/** New sagas with their first transition applied (version 1), under the ids reserved for them. */
export function insertSagas<Data>(
  type: string,
  batch: readonly BatchedTransition<Data>[],
  now: string,
): SqlStatement {
  return {
    sql: `INSERT INTO sagas (${SAGA_FIELDS}, type, version, created_at, updated_at) OVERRIDING SYSTEM VALUE
      SELECT ${SAGA_FIELDS}, $8, 1, $9, $9 FROM unnest(${SAGA_ARRAYS}) AS u(${SAGA_FIELDS})`,
    params: [...sagaColumns(batch), type, now],
  };
}

/** The transitions of existing sagas, each only on top of the version it was planned from: RETURNING says which. */
export function updateSagas<Data>(batch: readonly BatchedTransition<Data>[], now: string): SqlStatement {
  return {
    sql: `UPDATE sagas AS s SET status = u.status, version = s.version + 1, data = u.data, awaiting = u.awaiting,
        deadline_at = u.deadline_at, failed_step = u.failed_step, failure_details = u.failure_details, updated_at = $9
      FROM unnest(${SAGA_ARRAYS}, $8::integer[]) AS u(${SAGA_FIELDS}, expected_version)
      WHERE s.id = u.id AND s.version = u.expected_version
      RETURNING s.id`,
    params: [...sagaColumns(batch), batch.map(({ work }) => work.expectedVersion), now],
  };
}

/** Every history entry of the batch, in order (ORDINALITY: the ids, and so `ORDER BY id`, follow it). */
export function insertHistory<Data>(batch: readonly BatchedTransition<Data>[]): SqlStatement | undefined {
  const columns: unknown[][] = [[], [], [], []];
  for (const { work } of batch) {
    for (const entry of work.history) {
      [work.next.id, entry.status, entry.at, detailJson(entry)].forEach((value, index) =>
        columns[index]!.push(value),
      );
    }
  }
  if (columns[0]!.length === 0) return undefined;
  return {
    sql: `INSERT INTO saga_history (saga_id, status, at, detail)
      SELECT saga_id, status, at, detail
      FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS h(saga_id, status, at, detail, n)
      ORDER BY n`,
    params: columns,
  };
}

/** The instance that holds the outbox rows it inserts, for its relay to publish without claiming them. */
export interface OutboxHolder {
  /** Its name on the rows (`claimed_by`). */
  readonly owner: string;
  /** How long they stay its own without a heartbeat (`claimed_until`). */
  readonly leaseMs: number;
}

/**
 * Outbox rows for `messages`, in order, in one statement; the columns (and their order) are OUTBOX_INSERT's. With a
 * `holder`, the rows are inserted held by it (claimed under its lease, as its relay's claim would), and RETURNING
 * gives their ids: once the transaction committed, the holder's relay publishes them from memory (`heldRows`)
 * instead of claiming them in a statement of its own; should it die first, its lease runs out and another instance
 * claims them. Without one (no relay runs here yet), they are nobody's, for any instance's relay to claim.
 */
export function insertOutbox(
  messages: readonly OutgoingMessage[],
  now: string,
  holder?: OutboxHolder,
): SqlStatement | undefined {
  if (messages.length === 0) return undefined;
  const columns: unknown[][] = Array.from({ length: 9 }, () => []);
  for (const message of messages) {
    // outboxInsertParams ends with created_at, which is one parameter for the whole statement here.
    outboxInsertParams(message, now)
      .slice(0, 9)
      .forEach((value, index) => columns[index]!.push(value));
  }
  return {
    sql: `INSERT INTO outbox (message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp, headers,
        body, created_at, claimed_by, claimed_until)
      SELECT message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp, headers, body, $10, $11,
        now() + $12 * interval '1 millisecond'
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
        $9::bytea[]) WITH ORDINALITY
        AS o(message_id, exchange, routing_key, type, correlation_id, reply_to, timestamp, headers, body, n)
      ORDER BY n
      RETURNING id, message_id`,
    params: [...columns, now, holder?.owner ?? null, holder?.leaseMs ?? null],
  };
}

/** The rows insertOutbox returned, with their messages, as the relay publishes them (in id order). */
export function heldRows(
  returned: readonly { id: number; message_id: string }[],
  messages: readonly OutgoingMessage[],
): StoredMessage[] {
  const byId = new Map(messages.map((message) => [message.properties.messageId, message]));
  return returned
    .map(({ id, message_id }) => ({ id: Number(id), messageId: message_id, message: byId.get(message_id)! }))
    .sort((a, b) => a.id - b.id);
}

/**
 * Records `ids` as consumed. One another transaction consumed first (another instance, or a redelivery) is left out
 * of RETURNING instead of failing the statement, so the caller fails (or answers as a duplicate) just that one. An
 * id another transaction is inserting at the same moment waits for it: conflicting once it committed, inserted if
 * it rolled back. The rows go in the ids' order, so callers that sort them lock in one order across instances.
 */
export function insertConsumed(ids: readonly string[], now: string): SqlStatement | undefined {
  if (ids.length === 0) return undefined;
  return {
    sql: `INSERT INTO consumed_messages (message_id, consumed_at)
      SELECT message_id, $2 FROM unnest($1::text[]) WITH ORDINALITY AS c(message_id, n) ORDER BY n
      ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
    params: [ids, now],
  };
}

/**
 * `statement` (one with RETURNING) failing unless it returned `rows` rows: a division by zero aborts the
 * transaction, so the COMMIT sent behind it without waiting rolls it back instead.
 */
export function everyRow(statement: SqlStatement, rows: number): SqlStatement {
  return {
    sql: `WITH written AS (${statement.sql})
      SELECT 1 / (count(*) = $${statement.params.length + 1})::int AS every_row FROM written`,
    params: [...statement.params, rows],
  };
}

/** Reserves `$1` saga ids at once (the sagas table's identity sequence), for sagas created in one turn. */
export const RESERVE_SAGA_IDS = `SELECT nextval(pg_get_serial_sequence('sagas', 'id')) AS id FROM generate_series(1, $1)`;

/** Keyed by statement text: our statements are a fixed set of constants, so this stays small. */
const numberedCache = new Map<string, string>();

/** `?` placeholders (shared with SQLite) as PostgreSQL's `$1, $2, ...`; none of our statements has `?` in a literal. */
export function numbered(sql: string): string {
  let text = numberedCache.get(sql);
  if (text === undefined) {
    let index = 0;
    text = sql.replace(/\?/g, () => `$${++index}`);
    numberedCache.set(sql, text);
  }
  return text;
}

/**
 * A statement that reads a growing table through an array or a claim's `LIMIT` (`= ANY($1)`, a join with `unnest`,
 * the outbox claim), as pg runs it: numbered and unnamed, so PostgreSQL plans it at each execution for the arrays it
 * is given and the tables' size then. Prepared, it would soon run a generic plan made while its tables were nearly
 * empty (a sequential scan) and keep it as they grow, until autovacuum's first ANALYZE: in a 10-second bench the
 * order service's reads of consumed message ids scanned the whole table each time. These run once per batch or relay
 * pass, not per row, so planning them each time costs a fraction of a millisecond per batch.
 */
export function planned(sql: string, params: readonly unknown[]): pg.QueryConfig {
  return { text: numbered(sql), values: params as unknown[] };
}

/** The names of the statements prepared so far, by their text. */
const preparedNames = new Map<string, string>();
/** More distinct texts than the store and a projection have means a caller builds SQL: those run unprepared. */
const MAX_PREPARED = 200;

/**
 * A statement of the store's own (or a projection's) as pg runs it: numbered, and named, so that each connection
 * parses and plans it once instead of at every execution. None of them selects `*`, whose cached plan would fail
 * once a migration (another instance's, say) adds a column.
 */
export function prepared(sql: string, params: readonly unknown[]): pg.QueryConfig {
  const text = numbered(sql);
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED)
    preparedNames.set(text, (name = `asyncgen_saga_${preparedNames.size}`));
  return name === undefined
    ? { text, values: params as unknown[] }
    : { name, text, values: params as unknown[] };
}
