// The order service's tests take their private PostgreSQL databases from the saga package's testing export.
export { createTestDatabase, TEST_POSTGRES_BASE } from "@asyncgen/saga/testing";
