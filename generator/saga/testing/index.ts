export { createTestDatabase, TEST_POSTGRES_BASE } from "./postgres.js";
