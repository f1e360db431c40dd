import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "../testing/postgres.js";
import { expectAdvancedOnce, expectEffectsOnce, finishedSagas, placeOrders } from "../testing/saga-checks.js";
import { startSystem, type RunningSystem } from "../testing/system-under-test.js";

/**
 * Two order-service processes (each started as `npm start -w services/order-service` starts it, with DATABASE_URL)
 * and the three participants as processes, on RabbitMQ. One order-service instance is stopped while the sagas it
 * started are in flight: it hands back the outbox rows it held, and the other instance finishes every saga.
 */
let vhost: ReturnType<typeof createTestVhost>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let system: RunningSystem;

beforeAll(async () => {
  vhost = createTestVhost("two-processes");
  database = await createTestDatabase("two_processes");
  system = await startSystem(vhost.url, {
    DATABASE_URL: database.url,
    APPROVE_TICKET_FAILURE_RATE: "0.5",
    STEP_DEADLINE_MS: "300",
  });
}, 60_000);

afterAll(async () => {
  await system?.stop();
  await database?.drop();
  vhost?.remove();
});

describe("two order-service processes on one PostgreSQL database", () => {
  it("finish every saga exactly once when one instance stops with sagas in flight", async () => {
    const second = await system.startAnotherOrderService();
    const placed = await placeOrders([system.url, second.url], 20);
    const exited = new Promise<number | null>((resolve) => second.process.once("exit", resolve));
    second.process.kill("SIGTERM");
    expect(await exited).toBe(0);

    const sagas = await finishedSagas(
      system.url,
      placed.map(({ id }) => id),
    );
    for (const { id, scenario } of placed) expectAdvancedOnce(sagas.get(id)!, scenario);
    await expectEffectsOnce({ dataDir: system.dataDir, databaseUrl: database.url }, system.url, placed);
    expect(second.logs.join("")).not.toMatch(/"level":50/);
  }, 120_000);
});
