import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "../testing/postgres.js";
import { expectAdvancedOnce, expectEffectsOnce, finishedSagas, placeOrders } from "../testing/saga-checks.js";
import { startSystem, type RunningSystem } from "../testing/system-under-test.js";

/**
 * Two order-service processes on one PostgreSQL database; one is SIGKILLed (nothing handed back) right after the
 * orders it took are placed. Step deadlines are a minute, so no resend hides a slow takeover: the survivor finishes
 * the killed instance's sagas from their outbox rows (once their `OUTBOX_LEASE_MS` lease runs out) and from the
 * replies RabbitMQ redelivers to it, within 5 s. (The saga package's takeover.postgres.test.ts holds rows in a
 * killed instance for certain; here the kill lands wherever the sagas happen to be.)
 */
const TAKEOVER_LIMIT_MS = 5000;
let vhost: ReturnType<typeof createTestVhost>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let system: RunningSystem;

beforeAll(async () => {
  vhost = createTestVhost("kill-takeover");
  database = await createTestDatabase("kill_takeover");
  system = await startSystem(vhost.url, {
    DATABASE_URL: database.url,
    APPROVE_TICKET_FAILURE_RATE: "0",
    STEP_DEADLINE_MS: "60000",
    OUTBOX_LEASE_MS: "1500",
  });
}, 60_000);

afterAll(async () => {
  await system?.stop();
  await database?.drop();
  vhost?.remove();
});

describe("an order-service instance SIGKILLed with sagas in flight", () => {
  it("has its sagas finished by the other instance within 5 s, each exactly once", async () => {
    const doomed = await system.startAnotherOrderService();
    const placed = await placeOrders([doomed.url], 30);
    const exited = new Promise((resolve) => doomed.process.once("exit", resolve));
    doomed.process.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();

    const sagas = await finishedSagas(
      system.url,
      placed.map(({ id }) => id),
    );
    expect(Date.now() - killedAt).toBeLessThan(TAKEOVER_LIMIT_MS);
    for (const { id, scenario } of placed) expectAdvancedOnce(sagas.get(id)!, scenario);
    await expectEffectsOnce({ dataDir: system.dataDir, databaseUrl: database.url }, system.url, placed);
  }, 120_000);
});
