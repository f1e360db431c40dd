#!/bin/sh
# Creates the order service's own PostgreSQL role and database. docker-compose.yaml mounts it into the postgres
# container's /docker-entrypoint-initdb.d, so it runs once, when the data volume is first initialised. On a plain
# install, run it as a superuser: PGHOST=127.0.0.1 POSTGRES_USER=postgres ORDER_DB_USER=... ORDER_DB_PASSWORD=... sh <this file>
set -eu
: "${ORDER_DB_USER:?ORDER_DB_USER is required}"
: "${ORDER_DB_PASSWORD:?ORDER_DB_PASSWORD is required}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v user="$ORDER_DB_USER" -v password="$ORDER_DB_PASSWORD" -v database="${ORDER_DB_NAME:-orders}" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"user";
SQL
