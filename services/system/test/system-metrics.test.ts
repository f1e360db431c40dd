import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { npmStart, tempDir, waitUntil, type StartedProcess } from "@saga/service-kit/testing";

/**
 * `npm start` runs the four services in one process; its GET /metrics (on the order service's port) covers all four,
 * each sample labelled with its service, each metric declared once: checked on RabbitMQ after one saga.
 */
describe("GET /metrics of npm start", () => {
  const vhost = createTestVhost("system-metrics");
  let system: StartedProcess;
  let url: string;

  beforeAll(async () => {
    system = npmStart("system", {
      AMQP_URL: vhost.url,
      PORT: "0",
      DATA_DIR: tempDir("system-metrics"),
      APPROVE_TICKET_FAILURE_RATE: "0",
    });
    const started = /CreateOrderSaga demo: open (http:\/\/\S+?)"/;
    await system.waitForOutput(started, 60_000);
    url = started.exec(system.output())![1]!;
  }, 90_000);
  afterAll(async () => {
    await system?.stop();
    vhost.remove();
  });

  it("counts every service's messages, one metric family each, told apart by the service label", async () => {
    const { saga_id } = (await fetch(`${url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        consumer_id: 70,
        card_id: 1,
        price: 20,
        items: [{ name: "Dish", quantity: 1 }],
      }),
    }).then((r) => r.json())) as { saga_id: number };
    await waitUntil(
      async () =>
        ((await fetch(`${url}/sagas/${saga_id}`).then((r) => r.json())) as { status: string }).status ===
        "succeeded",
      20_000,
      () => `saga ${saga_id} succeeded`,
    );

    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const types = text.split("\n").filter((line) => line.startsWith("# TYPE "));
    expect(new Set(types).size).toBe(types.length); // no metric declared twice
    const consumed = (service: string, type: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith("saga_messages_consumed_total{"))
        .filter((line) => line.includes(`service="${service}"`) && line.includes(`type="${type}"`))
        .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
    expect(consumed("consumer-service", "consumer_service.verify_consumer_details")).toBe(1);
    expect(consumed("restaurant-service", "restaurant_service.create_ticket")).toBe(1);
    expect(consumed("restaurant-service", "restaurant_service.approve_ticket")).toBe(1);
    expect(consumed("accounting-service", "accounting_service.authorize_card")).toBe(1);
    expect(consumed("order-service", "accounting_service.authorize_card.response.success")).toBe(1);
    expect(text).toMatch(
      /saga_sagas_finished_total\{[^}]*outcome="succeeded"[^}]*service="order-service"[^}]*\} 1/,
    );
    for (const service of ["consumer-service", "restaurant-service", "accounting-service", "order-service"]) {
      expect(text).toContain(`saga_broker_connected{service="${service}"} 1`);
    }
  });
});
