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
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-one-click.png") });
    await page.close();
  });

  it("draws sagas per second, step latencies and a saga's messages as a sequence diagram", async () => {
    // Two more sagas through the API (a script is sent to the saga's JSON): one succeeds, one fails.
    const start = async (scenario: string) =>
      ((await (await fetch(`${orders.url}/demo/${scenario}`, { method: "POST" })).json()) as { id: number })
        .id;
    const succeeded = await start("success");
    const failed = await start("card-authorization-fails");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const arrows = () =>
      page
        .locator("#sequence g.message")
        .evaluateAll((groups) =>
          groups.map(
            (g) =>
              `${g.getAttribute("data-kind")} ${g.getAttribute("data-type")} ${g.getAttribute("data-status")}`,
          ),
        );
    const showSaga = async (id: number, status: string) => {
      await page.goto(`${orders.url}/dashboard?saga=${id}`);
      await page.waitForFunction(
        `document.getElementById("timeline-title")?.textContent === "saga #${id} (${status})" &&
         document.querySelector("#sequence svg[data-saga='${id}']") !== null`,
        undefined,
        { timeout: 15_000 },
      );
    };

    await showSaga(succeeded, "succeeded");
    await expect(arrows()).resolves.toEqual([
      "command consumer_service.verify_consumer_details sent",
      "reply consumer_service.verify_consumer_details.response.success success",
      "command restaurant_service.create_ticket sent",
      "reply restaurant_service.create_ticket.response.success success",
      "command accounting_service.authorize_card sent",
      "reply accounting_service.authorize_card.response.success success",
      "command restaurant_service.approve_ticket sent",
      "reply restaurant_service.approve_ticket.response.success success",
    ]);
    const lanes = await page.locator("#sequence svg text[font-weight='600']").allTextContents();
    expect(lanes).toEqual(["order-service", "consumer-service", "restaurant-service", "accounting-service"]);

    // The charts count every saga of this run (the first test's two and these two) and time every remote step.
    await page.waitForFunction(
      `Number(document.querySelector("svg[data-chart='throughput'] polyline[data-series='started']")?.dataset.total) >= 4`,
      undefined,
      { timeout: 10_000 },
    );
    const total = (series: string) =>
      page
        .locator(`svg[data-chart='throughput'] polyline[data-series='${series}']`)
        .getAttribute("data-total");
    await expect(total("succeeded")).resolves.toBe("2");
    await expect(total("failed")).resolves.toBe("2");
    const steps = await page
      .locator("svg[data-chart='latency'] g[data-step]")
      .evaluateAll((groups) =>
        groups.map((g) => [
          g.getAttribute("data-step"),
          g.getAttribute("data-phase"),
          Number(g.getAttribute("data-p99")),
        ]),
      );
    expect(steps.map(([step, phase]) => `${step} ${phase}`)).toEqual([
      "verify_consumer_details action",
      "create_restaurant_ticket action",
      "create_restaurant_ticket compensation",
      "authorize_card action",
      "approve_restaurant_ticket action",
    ]);
    for (const [, , p99] of steps) expect(p99).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-charts.png"), fullPage: true });

    await showSaga(failed, "failed");
    await expect(arrows()).resolves.toEqual([
      "command consumer_service.verify_consumer_details sent",
      "reply consumer_service.verify_consumer_details.response.success success",
      "command restaurant_service.create_ticket sent",
      "reply restaurant_service.create_ticket.response.success success",
      "command accounting_service.authorize_card sent",
      "reply accounting_service.authorize_card.response.failure failure",
      "command restaurant_service.reject_ticket sent",
      "reply restaurant_service.reject_ticket.response.success success",
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-failed-saga.png"), fullPage: true });
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
