import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { npmStart, REPO, tempDir, waitUntil } from "@saga/service-kit/testing";

/**
 * The README's settings work the same in every start mode: `npm start` (the four services in one process) and each
 * service started alone read one config module, and refuse a bad value before starting anything.
 */
const START_MODES = [
  "system",
  "order-service",
  "consumer-service",
  "restaurant-service",
  "accounting-service",
];

describe("settings in every start mode", () => {
  it.each(START_MODES)(
    "npm start -w services/%s refuses a bad STEP_DEADLINE_MS and DATABASE_URL, exits 2",
    (service) => {
      const run = spawnSync("npm", ["start", "--silent", "-w", `services/${service}`], {
        cwd: REPO,
        env: {
          ...process.env,
          BROKER: "in-process",
          STEP_DEADLINE_MS: "abc",
          DATABASE_URL: "mysql://db:3306/orders",
          PORT: "0",
        },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.stderr).toContain(
        'CONFIG_INVALID: STEP_DEADLINE_MS must be a whole number of milliseconds (1 or more), not "abc"',
      );
      expect(run.stderr).toContain('CONFIG_INVALID: DATABASE_URL must be a postgres:// URL, not "mysql":...');
      expect(run.status).toBe(2);
    },
  );

  it("npm start applies APPROVE_TICKET_FAILURE_RATE and STEP_DEADLINE_MS", async () => {
    // Every approve_ticket fails, so the saga stays at that step, and the 300 ms deadline has it resent.
    const system = npmStart("system", {
      BROKER: "in-process",
      PORT: "0",
      DATA_DIR: tempDir("settings"),
      APPROVE_TICKET_FAILURE_RATE: "1",
      STEP_DEADLINE_MS: "300",
      LOG_LEVEL: "info",
    });
    try {
      const started = /CreateOrderSaga demo: open (http:\/\/\S+?)"/;
      await system.waitForOutput(started, 60_000);
      const url = started.exec(system.output())![1]!;
      const accepted = await fetch(`${url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          consumer_id: 70,
          card_id: 1,
          price: 20,
          items: [{ name: "Dish", quantity: 1 }],
        }),
      });
      const { saga_id } = (await accepted.json()) as { saga_id: number };
      type Saga = { status: string; history: { status: string; detail?: { resent?: string } }[] };
      let saga: Saga | undefined;
      await waitUntil(
        async () => {
          saga = (await (await fetch(`${url}/sagas/${saga_id}`)).json()) as Saga;
          return saga.history.some((h) => h.detail?.resent === "approveTicket");
        },
        15_000,
        () => `approve_ticket resent at its deadline: ${JSON.stringify(saga)}`,
      );
      expect(saga!.status).toBe("approve_restaurant_ticket.running");
    } finally {
      await system.stop();
    }
  }, 90_000);
});
