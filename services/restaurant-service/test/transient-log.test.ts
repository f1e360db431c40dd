import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { OrderServiceClient, serveOrderService } from "@saga/generated/order-service";
import { createInProcessTransport } from "@asyncgen/runtime";
import { replyRecorder, tempDir } from "@saga/service-kit/testing";
import { startRestaurantService } from "../src/service.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the designed transient approve failure in the logs", () => {
  it("is one warning line with its reason and no stack, and the retry succeeds", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const transport = createInProcessTransport();
    cleanups.push(() => transport.close());
    const recorder = replyRecorder();
    const orders = await serveOrderService(transport, recorder.handlers, recorder.options);
    cleanups.push(() => orders.close());
    const draws = [0.1]; // the first approval attempt fails (0.1 < 0.3), the next one (0.9) goes through
    const service = await startRestaurantService({
      transport,
      logger,
      databaseFile: path.join(tempDir("restaurant-transient"), "restaurant-service.sqlite"),
      retryDelayMs: () => 1,
      approveTicketFailureRate: 0.3,
      random: () => draws.shift() ?? 0.9,
    });
    cleanups.push(() => service.stop());
    const client = new OrderServiceClient(transport);
    await client.createTicket(
      { order_id: 5, customer_id: 70, items: [{ name: "Dish", quantity: 1 }] },
      { correlationId: "t-1" },
    );
    const [created] = await recorder.waitFor("t-1");
    const { ticket_id } = created!.payload as { ticket_id: number };
    await client.approveTicket({ ticket_id }, { correlationId: "t-2" });
    const [approved] = await recorder.waitFor("t-2");
    expect(approved!.operation).toBe("onApproveTicketSuccess");

    const failures = lines.filter((line) => String(line.msg).includes("handler failed"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 40,
      msg: "handler failed transiently; will be redelivered",
      reason: "test error message. Task will retry now",
      attempt: 1,
    });
    expect(failures[0]).not.toHaveProperty("err");
    expect(JSON.stringify(failures[0])).not.toContain("at ");
  });
});
