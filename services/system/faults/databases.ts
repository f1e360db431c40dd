import type { ServiceDatabases } from "@saga/order-service/testing";
import type { ServiceName } from "@saga/order-service/testing";

/**
 * What the fault suite reads from the services' databases (SQLite files, or the one PostgreSQL database of the
 * phase that runs on it), through read-only access while the services keep writing.
 */

/** A JSON field of a TEXT column, in the database's own SQL. */
export const jsonField = (databases: ServiceDatabases, column: string, field: string): string =>
  databases.dialect === "postgres"
    ? `(${column}::json ->> '${field}')`
    : `json_extract(${column}, '$.${field}')`;

/** One number a query returns (its first column of its first row). */
async function count(databases: ServiceDatabases, service: ServiceName, sql: string): Promise<number> {
  const [row] = await databases.query<Record<string, number>>(service, sql);
  return Number(Object.values(row!)[0]);
}

/** Unsent outbox rows, or undefined when the service has no `outbox` table. */
export async function pendingOutbox(
  databases: ServiceDatabases,
  service: ServiceName,
): Promise<number | undefined> {
  if (!(await databases.hasTable(service, "outbox"))) return undefined;
  return count(databases, service, `SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`);
}

/** Sagas not yet succeeded or failed. */
export function unfinishedSagas(databases: ServiceDatabases): Promise<number> {
  return count(
    databases,
    "order-service",
    `SELECT count(*) AS n FROM sagas WHERE status NOT IN ('succeeded', 'failed')`,
  );
}

/** Commands the order service resent because a step's deadline passed (recorded in the saga history). */
export function resentCommands(databases: ServiceDatabases): Promise<number> {
  return count(
    databases,
    "order-service",
    `SELECT count(*) AS n FROM saga_history WHERE ${jsonField(databases, "detail", "deadline")} = 'passed'`,
  );
}

/** Sagas that failed because a step's deadline passed too often (the orchestrator gave the step up). */
export function sagasGivenUp(databases: ServiceDatabases): Promise<number> {
  return count(
    databases,
    "order-service",
    `SELECT count(*) AS n FROM sagas WHERE ${jsonField(databases, "failure_details", "type")} = 'DeadlineExceeded'`,
  );
}
