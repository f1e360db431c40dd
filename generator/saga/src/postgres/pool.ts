import { Socket } from "node:net";
import pg from "pg";
import { batchWritesPerTurn, type Logger } from "@asyncgen/runtime";
import { redactUrl } from "./postgres-store.js";

/**
 * A connection pool for a service's PostgreSQL database. BIGINT columns (ids, epoch milliseconds) read as numbers:
 * ours stay far below 2^53. `searchPath` puts the service's tables in a schema of its own, so services can share one
 * database without their tables (`outbox`, `consumed_messages`) colliding; `sessionOptions` are further `-c`
 * settings of every session (the saga store's asynchronous-commit pool); `pipeline` sends a client's queries without
 * waiting for each answer (the saga store's group commit).
 *
 * The queries a connection is given in one turn of the event loop leave in one socket write (batchWritesPerTurn):
 * pg writes each query's messages (Parse, Bind, Execute, Sync) as a write of its own, so a group commit's
 * statements, a batch of handlers' statements and the COMMIT behind them would each cost a system call and wake
 * the server for each. A participant on PostgreSQL spent a quarter of its CPU in writev before.
 */
export function openPostgresPool(
  url: string,
  logger: Logger,
  settings: { searchPath?: string; sessionOptions?: string; max?: number; pipeline?: boolean } = {},
): pg.Pool {
  const sessionOptions = [
    settings.searchPath ? `-c search_path=${settings.searchPath}` : "",
    settings.sessionOptions ?? "",
  ]
    .filter((option) => option !== "")
    .join(" ");
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    ...(settings.max === undefined ? {} : { max: settings.max }),
    ...(settings.pipeline ? { pipeline: true } : {}),
    ...(sessionOptions ? { options: sessionOptions } : {}),
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === pg.types.builtins.INT8
          ? Number
          : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
    },
  });
  pool.on("connect", (client) => {
    const socket = pgSocket(client);
    if (socket) batchWritesPerTurn(socket);
  });
  // An idle connection that breaks must not crash the process; the next query reconnects.
  pool.on("error", (error) =>
    logger.error({ err: error, database: redactUrl(url) }, "PostgreSQL connection lost"),
  );
  return pool;
}

/** Runs `work` in one transaction on a connection of `pool`: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    // A connection that cannot even roll back is discarded, not handed to the next transaction.
    client.release(broken);
  }
}

/**
 * The socket under a pg client (`client.connection.stream`, which pg's types do not declare), or undefined when pg
 * no longer keeps it there: a test pins that, so an upgrade that moves it fails there, not silently here.
 */
export function pgSocket(client: pg.ClientBase): Socket | undefined {
  const stream = (client as { connection?: { stream?: unknown } }).connection?.stream;
  return stream instanceof Socket ? stream : undefined;
}

/** Creates `schema` unless it exists, under an advisory lock: instances starting together do not race on it. */
export async function ensureSchema(pool: pg.Pool, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new RangeError(`not a plain schema name: ${schema}`);
  await withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${schema} schema`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  });
}
