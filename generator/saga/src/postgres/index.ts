// @asyncgen/saga/postgres: the saga store on PostgreSQL (pg), for several instances on one database.
export { migrate } from "./postgres-migrate.js";
export { PostgresSagaStore, redactUrl, type PostgresStoreOptions } from "./postgres-store.js";
