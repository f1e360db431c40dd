// @asyncgen/saga/postgres: the saga store on PostgreSQL (pg), for several instances on one database.
export { migrate } from "./postgres-migrate.js";
export {
  DEFAULT_OUTBOX_LEASE_MS,
  PostgresSagaStore,
  redactUrl,
  type PostgresStoreOptions,
} from "./postgres-store.js";
