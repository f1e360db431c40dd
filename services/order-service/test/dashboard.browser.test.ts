import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAccountingService } from "@saga/accounting-service";
import { startConsumerService } from "@saga/consumer-service";
import { startRestaurantService } from "@saga/restaurant-service";
import { createInProcessTransport, type InProcessTransport } from "@asyncgen/runtime";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { ARTIFACTS, hasChromium, launchChromium, warnIfNoChromium } from "../testing/browser.js";

/**
 * The dashboard and the docs in a real browser: click a demo scenario, watch the saga reach `succeeded`, and keep
 * screenshots as test artifacts.
 */
warnIfNoChromium("dashboard browser test");

describe.skipIf(!hasChromium)("dashboard in a real browser", () => {
  let browser: Browser;
  let orders: RunningOrderService;
  let transport: InProcessTransport;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const logger = pino({ level: "silent" });
    transport = createInProcessTransport();
    const data = path.join(tmpdir(), `dashboard-${process.pid}`);
    for (const start of [startConsumerService, startAccountingService]) {
      const service = await start({
        transport,
        logger,
        databaseFile: path.join(data, `${start.name}.sqlite`),
      });
      stops.push(() => service.stop());
    }
    const restaurant = await startRestaurantService({
      transport,
      logger,
      databaseFile: path.join(data, "restaurant.sqlite"),
      approveTicketFailureRate: 0,
    });
    stops.push(() => restaurant.stop());
    orders = await startOrderService({ transport, logger, databaseFile: ":memory:", port: 0 });
    stops.push(() => orders.stop());
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const stop of stops.reverse()) await stop();
  });

  it("starts a scenario with one click and shows the saga reaching succeeded", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${orders.url}/dashboard`);
    await page.click('button[data-scenario="success"]');
    await page.waitForFunction(
      `document.getElementById("timeline-title")?.textContent?.includes("succeeded")`,
      undefined,
      { timeout: 15_000 },
    );
    await expect(page.locator("#count-succeeded").textContent()).resolves.toBe("1");
    const timeline = await page.locator("#timeline li").allTextContents();
    expect(timeline[0]).toContain("not_started");
    expect(timeline.at(-1)).toContain("succeeded");
    await page.click('button[data-scenario="card-authorization-fails"]');
    await page.waitForFunction(
      `document.getElementById("timeline-title")?.textContent?.includes("failed")`,
      undefined,
      { timeout: 15_000 },
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard.png") });
    await page.close();
  });

  it("replays a dead letter with one click: the message leaves the dead-letter queue and is consumed", async () => {
    // A reply dead-lettered earlier (say, while its consumer was broken); for an unknown saga, so replaying it
    // changes nothing but its consumption.
    await transport.publish({
      exchange: "",
      routingKey: "create_order_saga_responses.dlq",
      body: Buffer.from(JSON.stringify({ ticket_id: 1 })),
      properties: {
        messageId: "dashboard-dead-letter-1",
        type: "restaurant_service.create_ticket.response.success",
        correlationId: "999999",
        timestamp: Math.floor(Date.now() / 1000),
        contentType: "application/json",
        headers: {
          contract_version: "1.0.0",
          "x-error-code": "HANDLER_FAILED",
          "x-error-reason": "database unavailable (after 5 attempts)",
          "x-original-queue": "create_order_saga_responses",
        },
      },
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${orders.url}/dashboard`);
    const row = page.locator('tr[data-message-id="dashboard-dead-letter-1"]');
    await row.waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toContain("HANDLER_FAILED");
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-dead-letters.png") });
    await row.locator('button[data-action="replay"]').click();
    await page.waitForFunction(
      `document.getElementById("dead-letter-result")?.textContent?.startsWith("replayed 1 message(s)")`,
      undefined,
      { timeout: 10_000 },
    );
    await expect(row.count()).resolves.toBe(0);
    expect(transport.inspect("create_order_saga_responses.dlq").ready).toBe(0);
    expect(transport.inspect("create_order_saga_responses")).toMatchObject({ ready: 0, unacked: 0 });
    await page.close();
  });

  it("serves the generated contract documentation with the message flow", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${orders.url}/docs`);
    await expect(page.locator("svg[aria-label='CreateOrderSaga message flow']").count()).resolves.toBe(1);
    await expect(page.locator("text=restaurant_service.reject_ticket").first().isVisible()).resolves.toBe(
      true,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "docs.png") });
    const contract = await page.goto(`${orders.url}/contracts/restaurant-service.yaml`);
    expect(await contract!.text()).toContain("asyncapi: 3.0.0");
    await page.close();
  });
});
