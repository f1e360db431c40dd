import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmStart, tempDir, type StartedProcess } from "@saga/service-kit/testing";
import { DEMO_SCENARIOS } from "../src/http/demo-scenarios.js";
import { ARTIFACTS, hasChromium, launchChromium, warnIfNoChromium } from "../testing/browser.js";

/**
 * The home page as a new user meets it: the system started as `npm start` starts it (the four services in one
 * process, here on the in-process broker), every scenario button clicked in a real browser, and the page it lands
 * on (the dashboard with that saga's timeline) showing the saga's final status.
 */
warnIfNoChromium("home page browser test");

/** What each scenario's saga ends as; the random order's outcome follows from the order it drew. */
const EXPECTED: Record<string, "succeeded" | "failed" | "by-order"> = {
  success: "succeeded",
  "consumer-verification-fails": "failed",
  "orchestrator-fails": "failed",
  "card-authorization-fails": "failed",
  random: "by-order",
};

describe.skipIf(!hasChromium)("home page in a real browser, on the system as npm start runs it", () => {
  let browser: Browser;
  let system: StartedProcess;
  let url: string;

  beforeAll(async () => {
    system = npmStart("system", {
      BROKER: "in-process",
      PORT: "0",
      DATA_DIR: tempDir("home-page"),
      APPROVE_TICKET_FAILURE_RATE: "0",
      LOG_LEVEL: "info",
    });
    await system.waitForOutput(/CreateOrderSaga demo: open (http:\/\/\S+?)"/, 60_000);
    url = /CreateOrderSaga demo: open (http:\/\/\S+?)"/.exec(system.output())![1]!;
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it("has a button for every scenario, and nothing else to post", async () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(DEMO_SCENARIOS).sort());
  });

  it.each(Object.keys(EXPECTED))(
    "clicking %s lands on the dashboard showing the saga's final status",
    async (scenario) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await page.goto(url);
        await Promise.all([
          page.waitForURL(/\/dashboard\?saga=\d+$/),
          page.click(`button[data-scenario="${scenario}"]`),
        ]);
        const saga = Number(new URL(page.url()).searchParams.get("saga"));
        await page.waitForFunction(
          `/\\((succeeded|failed)\\)$/.test(document.getElementById("timeline-title")?.textContent ?? "")`,
          undefined,
          { timeout: 20_000 },
        );
        const title = await page.locator("#timeline-title").textContent();
        let expected = EXPECTED[scenario];
        if (expected === "by-order") {
          const order = (await (await fetch(`${url}/orders/${saga}`)).json()) as {
            consumer_id: number;
            price: number;
          };
          expected = order.consumer_id < 50 || order.price >= 50 ? "failed" : "succeeded";
        }
        expect(title).toBe(`saga #${saga} (${expected})`);
        const timeline = await page.locator("#timeline li").allTextContents();
        expect(timeline[0]).toContain("not_started");
        expect(timeline.at(-1)).toContain(expected);
        if (scenario === "success") await page.screenshot({ path: `${ARTIFACTS}/home-success.png` });
      } finally {
        await page.close();
      }
    },
    30_000,
  );
});
