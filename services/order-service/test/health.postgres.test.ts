import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTransport } from "@asyncgen/runtime";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { createTestDatabase } from "../testing/postgres.js";
import { waitFor } from "../testing/system-under-test.js";

/**
 * GET /health asks PostgreSQL when the service runs on it, and says 503 when it does not answer. The password of
 * DATABASE_URL never reaches the logs (trust auth here accepts any password, so the URL can carry one).
 */
const PASSWORD = "never-logged-7f3a";
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: RunningOrderService;
const logs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase("health");
  service = await startOrderService({
    transport: createInProcessTransport(),
    logger: pino({ level: "debug" }, { write: (line: string) => void logs.push(line) }),
    databaseUrl: database.url.replace("//postgres@", `//postgres:${PASSWORD}@`),
    port: 0,
    deadlinePollMs: 50,
  });
});

afterAll(async () => {
  await service?.stop();
  await database?.drop();
});

const health = async () => {
  const response = await fetch(`${service.url}/health`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, unknown> } };
};

describe("GET /health on PostgreSQL", () => {
  it("is 200 while PostgreSQL answers, and 503 once its database is gone, while the service keeps running", async () => {
    expect(await health()).toMatchObject({
      status: 200,
      body: { ok: true, checks: { database: true, database_kind: "postgres" } },
    });
    await database.drop(); // closes the service's connections too
    expect(await health()).toMatchObject({
      status: 503,
      body: { ok: false, checks: { database: false, database_kind: "postgres" } },
    });
    // The deadline poller logs the failed read and asks again on its next tick; nothing crashes.
    await waitFor(
      () => logs.some((line) => line.includes("reading overdue sagas failed; will retry")),
      10_000,
    );
    expect((await health()).status).toBe(503);
  });

  it("logs the database it uses with the password redacted", () => {
    expect(logs.join("")).toContain(`postgres:***@`);
    expect(logs.join("")).not.toContain(PASSWORD);
  });
});
