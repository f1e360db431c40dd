import { describe, expect, it } from "vitest";
import type { SagaSequence } from "../src/create-order-saga/message-sequence.js";
import type { SagaActivity } from "../src/create-order-saga/saga-activity.js";
import { browserModule } from "../src/http/browser-module.js";
import * as charts from "../src/http/charts.js";

/** The dashboard's SVG pictures, as drawn in the browser from the JSON endpoints. */
const activity: SagaActivity = {
  since: "2026-11-26T12:00:00.000Z",
  until: "2026-11-26T12:01:00.000Z",
  bucket_seconds: 1,
  throughput: Array.from({ length: 60 }, (_, i) => ({
    at: new Date(Date.parse("2026-11-26T12:00:00Z") + i * 1000).toISOString(),
    started: i % 2,
    succeeded: i % 3 === 0 ? 1 : 0,
    failed: 0,
  })),
  steps: [
    { step: "verify_consumer_details", phase: "action", samples: 30, p50_ms: 12, p99_ms: 40 },
    { step: "create_restaurant_ticket", phase: "compensation", samples: 2, p50_ms: 3, p99_ms: 4 },
  ],
};
const sequence: SagaSequence = {
  saga_id: 7,
  status: "failed",
  services: ["order_service", "consumer_service"],
  messages: [
    {
      kind: "command",
      type: "consumer_service.verify_<consumer>",
      from: "order_service",
      to: "consumer_service",
      step: "verify_consumer_details",
      phase: "action",
      at: "2026-11-26T12:00:00.000Z",
      status: "parked",
      attempt: 2,
    },
    {
      kind: "reply",
      type: "consumer_service.verify_consumer_details.response.failure",
      from: "consumer_service",
      to: "order_service",
      step: "verify_consumer_details",
      phase: "action",
      at: "2026-11-26T12:00:01.250Z",
      status: "failure",
    },
  ],
};

describe("dashboard charts", () => {
  it("draws a line per series with its total in the window", () => {
    const svg = charts.throughputSvg(activity);
    expect(
      [...svg.matchAll(/<polyline data-series="(\w+)" data-total="(\d+)"/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ["started", "30"],
      ["succeeded", "20"],
      ["failed", "0"],
    ]);
    expect(svg.match(/points="([^"]+)"/)![1]!.split(" ")).toHaveLength(60);
  });

  it("draws a bar per remote step, compensations named as such, and says when there is none", () => {
    const svg = charts.latencySvg(activity);
    expect(svg).toContain(
      'data-step="verify_consumer_details" data-phase="action" data-p50="12" data-p99="40"',
    );
    expect(svg).toContain("create_restaurant_ticket (compensation)");
    expect(charts.latencySvg({ ...activity, steps: [] })).toContain("no step finished waiting");
  });

  it("draws each message as an arrow with its status, time since the first, and text escaped", () => {
    const svg = charts.sequenceSvg(sequence);
    expect(
      [...svg.matchAll(/data-kind="(\w+)" data-type="([^"]+)" data-status="(\w+)"/g)].map((m) => m.slice(1)),
    ).toEqual([
      ["command", "consumer_service.verify_&lt;consumer&gt;", "parked"],
      ["reply", "consumer_service.verify_consumer_details.response.failure", "failure"],
    ]);
    expect(svg).toContain("verify_&lt;consumer&gt; (resend 1, parked)");
    expect(svg).toContain("+1.250 s");
    expect(svg).not.toContain("<consumer>");
  });

  it("is served to the browser as one module without imports that draws the same", async () => {
    const code = await browserModule(new URL("../src/http/charts.ts", import.meta.url))();
    expect(code).not.toMatch(/^\s*import\s/m);
    const served = (await import(`data:text/javascript,${encodeURIComponent(code)}`)) as typeof charts;
    expect(served.sequenceSvg(sequence)).toBe(charts.sequenceSvg(sequence));
    expect(served.throughputSvg(activity)).toBe(charts.throughputSvg(activity));
    expect(served.latencySvg(activity)).toBe(charts.latencySvg(activity));
  });
});
