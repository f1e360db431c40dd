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

  // After the clicks above, so that saga 1 exists.
  it.each([
    ["/", 1280],
    ["/dashboard?saga=1", 1280],
    ["/dashboard", 390],
    ["/dashboard?saga=1", 390],
    ["/docs", 1280],
    ["/docs", 390],
  ])(
    "loads %s at %i px wide without a console error, a failed request or sideways scrolling",
    async (where, width) => {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`script: ${error.message}`));
      page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));
      page.on("response", (response) => {
        if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
      });
      try {
        await page.goto(`${url}${where}`, { waitUntil: "load" });
        await page.waitForTimeout(500); // the dashboard's first refresh and the favicon
        if (where.startsWith("/dashboard")) {
          // Its pictures are drawn from the JSON endpoints: the charts, and the chosen saga's messages.
          await page.locator("svg[data-chart='throughput']").waitFor();
          await page.locator("svg[data-chart='latency'] g[data-step]").first().waitFor();
          if (where.includes("saga=")) await page.locator("#sequence svg g.message").first().waitFor();
        }
        expect(problems).toEqual([]);
        // Elements reaching past the right edge (none, when nothing scrolls sideways), named for the message.
        const overflowing = await page.evaluate(`[...document.body.querySelectorAll("*")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .filter((e) => !e.parentElement.closest(".flow, table"))
          .slice(0, 5).map((e) => e.tagName + (e.id ? "#" + e.id : "") + " " + (e.textContent ?? "").slice(0, 40))`);
        expect(overflowing).toEqual([]);
        const text = await page.locator("body").innerText();
        expect(text).not.toMatch(/`/); // Markdown shown literally
        if (width === 390)
          await page.screenshot({
            path: `${ARTIFACTS}/phone-${where.replace(/\W+/g, "-")}.png`,
            fullPage: true,
          });
        if (width === 1280) {
          const name = where === "/" ? "home" : where.slice(1).replace(/\W.*/, "");
          await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: name !== "docs" });
        }
      } finally {
        await page.close();
      }
    },
  );
});
