// @saga/order-service/testing: what the fault suite, the benchmarks and other packages' tests drive the system with.
export * from "./system-under-test.js";
export { SagaCompletions } from "./saga-completions.js";
export { ServiceDatabases } from "./service-databases.js";
