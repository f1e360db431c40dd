import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveAccountingService } from "@saga/generated/accounting-service";
import { serveConsumerService } from "@saga/generated/consumer-service";
import {
  OrderServiceClient,
  serveOrderService,
  type OrderServiceHandlers,
} from "@saga/generated/order-service";
import { serveRestaurantService } from "@saga/generated/restaurant-service";
import { connectAmqp, createInProcessTransport, failure, success, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";

/**
 * The generated code of the real contracts, end to end: the order service's generated client sends every command,
 * the participants' generated handler binders answer with every reply (success, and failure where declared), and
 * the order service's generated reply handlers receive them. On RabbitMQ and on the in-process transport.
 */
const refusal = { type: "ValueError", message: "refused", module: "test", traceback: [] };
let vhost: ReturnType<typeof createTestVhost>;
beforeAll(() => void (vhost = createTestVhost("round-trip")));
afterAll(() => vhost?.remove());

describe.each([
  ["in-process", async (): Promise<Transport> => createInProcessTransport()],
  ["RabbitMQ", (): Promise<Transport> => connectAmqp(vhost.url)],
])("generated client -> handler -> reply on %s", (_kind, open) => {
  it("carries every message type of the saga, validated on both ends", async () => {
    const transport = await open();
    // A correlation id ending in "-refuse" makes the participant refuse (failure reply).
    const refuse = (correlationId: string | undefined) => correlationId?.endsWith("-refuse") === true;
    const servers = [
      await serveConsumerService(transport, {
        verifyConsumerDetails: async (_m, c) => (refuse(c.correlationId) ? failure(refusal) : success(null)),
      }),
      await serveRestaurantService(transport, {
        createTicket: async (m, c) =>
          refuse(c.correlationId) ? failure(refusal) : success({ ticket_id: m.order_id + 1000 }),
        rejectTicket: async () => success(null),
        approveTicket: async (_m, c) => (refuse(c.correlationId) ? failure(refusal) : success(null)),
      }),
      await serveAccountingService(transport, {
        authorizeCard: async (m, c) =>
          refuse(c.correlationId) ? failure(refusal) : success({ transaction_id: m.amount }),
      }),
    ];
    const received: { type: string; correlationId: string | undefined; payload: unknown }[] = [];
    const record = async (payload: unknown, context: { type: string; correlationId: string | undefined }) =>
      void received.push({ type: context.type, correlationId: context.correlationId, payload });
    const handlers: OrderServiceHandlers = {
      onVerifyConsumerDetailsSuccess: record,
      onVerifyConsumerDetailsFailure: record,
      onCreateTicketSuccess: record,
      onCreateTicketFailure: record,
      onRejectTicketSuccess: record,
      onAuthorizeCardSuccess: record,
      onAuthorizeCardFailure: record,
      onApproveTicketSuccess: record,
      onApproveTicketFailure: record,
    };
    servers.push(await serveOrderService(transport, handlers));

    const client = new OrderServiceClient(transport);
    for (const suffix of ["ok", "refuse"]) {
      await client.verifyConsumerDetails({ consumer_id: 70 }, { correlationId: `verify-${suffix}` });
      await client.createTicket(
        { order_id: 1, customer_id: 70, items: [{ name: "Dish 1", quantity: 2 }] },
        { correlationId: `create-${suffix}` },
      );
      await client.authorizeCard({ card_id: 3, amount: 20 }, { correlationId: `authorize-${suffix}` });
      await client.approveTicket({ ticket_id: 1001 }, { correlationId: `approve-${suffix}` });
    }
    await client.rejectTicket({ ticket_id: 1001 }, { correlationId: "reject-ok" });

    const until = Date.now() + 10_000;
    while (received.length < 9 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const byCorrelation = Object.fromEntries(received.map((r) => [r.correlationId, r]));
    expect(Object.keys(byCorrelation).sort()).toHaveLength(9);
    expect(byCorrelation["verify-ok"]).toMatchObject({
      type: "consumer_service.verify_consumer_details.response.success",
      payload: null,
    });
    expect(byCorrelation["verify-refuse"]).toMatchObject({
      type: "consumer_service.verify_consumer_details.response.failure",
      payload: refusal,
    });
    expect(byCorrelation["create-ok"]).toMatchObject({
      type: "restaurant_service.create_ticket.response.success",
      payload: { ticket_id: 1001 },
    });
    expect(byCorrelation["create-refuse"]!.type).toBe("restaurant_service.create_ticket.response.failure");
    expect(byCorrelation["authorize-ok"]).toMatchObject({
      type: "accounting_service.authorize_card.response.success",
      payload: { transaction_id: 20 },
    });
    expect(byCorrelation["authorize-refuse"]!.type).toBe(
      "accounting_service.authorize_card.response.failure",
    );
    expect(byCorrelation["approve-ok"]!.type).toBe("restaurant_service.approve_ticket.response.success");
    expect(byCorrelation["approve-refuse"]!.type).toBe("restaurant_service.approve_ticket.response.failure");
    expect(byCorrelation["reject-ok"]!.type).toBe("restaurant_service.reject_ticket.response.success");

    // The generated client validates before the wire.
    await expect(
      client.authorizeCard({ card_id: 3, amount: -1 }, { correlationId: "bad" }),
    ).rejects.toMatchObject({
      code: "MSG_INVALID_PAYLOAD",
    });
    for (const server of servers) await server.close();
    await transport.close();
  }, 30_000);
});
