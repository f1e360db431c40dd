import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "../testing/postgres.js";
import { expectAdvancedOnce, expectEffectsOnce, finishedSagas, placeOrders } from "../testing/saga-checks.js";
import { ServiceDatabases } from "../testing/service-databases.js";
import {
  SERVICES,
  startSystem,
  type AnotherInstance,
  type RunningSystem,
} from "../testing/system-under-test.js";

/**
 * Two instances of every service, each a process started as `npm start -w services/<name>` starts it, all with one
 * DATABASE_URL and on one vhost: each participant's two instances consume the same queue and share its schema.
 * Orders arrive through both HTTP APIs at once, approvals fail transiently and deadlines are short, so commands,
 * resends and redeliveries of one saga land on both instances. Every saga must end as its input dictates, every
 * approved order's own ticket be approved, every effect happen once, and ids be unique across instances.
 */
let vhost: ReturnType<typeof createTestVhost>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let system: RunningSystem;
const others = new Map<string, AnotherInstance>();

beforeAll(async () => {
  vhost = createTestVhost("scale-out");
  database = await createTestDatabase("scale_out");
  system = await startSystem(vhost.url, {
    DATABASE_URL: database.url,
    APPROVE_TICKET_FAILURE_RATE: "0.3",
    STEP_DEADLINE_MS: "1500",
  });
  for (const service of SERVICES) others.set(service, await system.startAnother(service));
}, 90_000);

afterAll(async () => {
  await system?.stop();
  await database?.drop();
  vhost?.remove();
});

/** Commands a participant instance handled, counted from its log lines (one `attempt` field per handled command). */
const handled = (logs: readonly string[]) =>
  logs
    .join("")
    .split("\n")
    .filter((line) => line.includes('"operation":')).length;

describe("two instances of every service on one PostgreSQL database and one queue each", () => {
  it("apply every approved order's own ticket, each effect once, with ids unique across instances", async () => {
    const urls = [system.url, others.get("order-service")!.url!];
    const placed = await placeOrders(urls, 150);
    const sagas = await finishedSagas(
      system.url,
      placed.map(({ id }) => id),
    );
    for (const { id, scenario } of placed) expectAdvancedOnce(sagas.get(id)!, scenario);
    await expectEffectsOnce({ dataDir: system.dataDir, databaseUrl: database.url }, system.url, placed);

    const databases = new ServiceDatabases({ dataDir: system.dataDir, databaseUrl: database.url });
    try {
      const [tickets] = await databases.query<{ rows: number; ids: number; orders: number }>(
        "restaurant-service",
        `SELECT count(*) AS rows, count(DISTINCT id) AS ids, count(DISTINCT order_id) AS orders FROM tickets`,
      );
      expect(tickets).toEqual({ rows: 100, ids: 100, orders: 100 }); // two of three scenarios reach the restaurant
      const [authorizations] = await databases.query<{ rows: number; ids: number }>(
        "accounting-service",
        `SELECT count(*) AS rows, count(DISTINCT transaction_id) AS ids FROM card_authorizations`,
      );
      expect(authorizations).toEqual({ rows: 50, ids: 50 });
      // Each participant's outbox: every reply published, one per command handled (not per delivery).
      for (const service of SERVICES) {
        const [outbox] = await databases.query<{ unsent: number }>(
          service,
          `SELECT count(*) AS unsent FROM outbox WHERE sent_at IS NULL`,
        );
        expect(outbox, service).toEqual({ unsent: 0 });
      }
    } finally {
      await databases.close();
    }
    // Both instances of each participant did part of the work.
    for (const service of ["consumer-service", "restaurant-service", "accounting-service"] as const) {
      expect(handled(system.logs[service]), `${service} (first instance)`).toBeGreaterThan(0);
      expect(handled(others.get(service)!.logs), `${service} (second instance)`).toBeGreaterThan(0);
    }
  }, 180_000);
});
