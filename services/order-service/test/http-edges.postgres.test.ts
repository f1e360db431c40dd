import { readFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTransport } from "@asyncgen/runtime";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { createTestDatabase } from "../testing/postgres.js";

/**
 * The HTTP API's edges, on both databases: integer bounds the contracts, the HTTP schema and the columns agree on,
 * 404 for anything missing, and one coded error body shape for every error, fastify's own included.
 */
const REPO = path.resolve(import.meta.dirname, "../../..");
/** The largest integer the contracts allow for every number an order carries; INTEGER columns hold it. */
const INT32_MAX = 2_147_483_647;
const order = (overrides: Record<string, unknown> = {}, quantity: unknown = 1) => ({
  consumer_id: 70,
  card_id: 3,
  price: 20,
  items: [{ name: "Dish 1", quantity }],
  ...overrides,
});

describe.each(["sqlite", "postgres"] as const)("HTTP edges on %s", (kind) => {
  let service: RunningOrderService;
  let drop = async () => {};
  beforeAll(async () => {
    const location =
      kind === "sqlite"
        ? { databaseFile: ":memory:" }
        : await createTestDatabase("http_edges").then((db) => ((drop = db.drop), { databaseUrl: db.url }));
    service = await startOrderService({
      transport: createInProcessTransport(),
      logger: pino({ level: "silent" }),
      ...location,
      port: 0,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await drop();
  });

  const post = (body: string, contentType = "application/json") =>
    fetch(`${service.url}/orders`, {
      method: "POST",
      body,
      headers: contentType ? { "content-type": contentType } : {},
    });
  const expectError = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code, error: expect.any(String) });
    return body;
  };

  it("stores the largest integers the contracts allow, exactly", async () => {
    const big = order({ consumer_id: INT32_MAX, card_id: INT32_MAX, price: INT32_MAX }, INT32_MAX);
    const accepted = await post(JSON.stringify(big));
    expect(accepted.status).toBe(202);
    const { order_id } = (await accepted.json()) as { order_id: number };
    const stored = await (await fetch(`${service.url}/orders/${order_id}`)).json();
    expect(stored).toMatchObject({
      consumer_id: INT32_MAX,
      card_id: INT32_MAX,
      price: INT32_MAX,
      items: [{ name: "Dish 1", quantity: INT32_MAX }],
    });
  });

  it.each([
    ["consumer_id", order({ consumer_id: 2 ** 31 }), "/consumer_id"],
    ["consumer_id 1e300", order({ consumer_id: 1e300 }), "/consumer_id"],
    ["consumer_id 0", order({ consumer_id: 0 }), "/consumer_id"],
    ["card_id", order({ card_id: 2 ** 31 }), "/card_id"],
    ["price", order({ price: 2 ** 31 }), "/price"],
    ["quantity", order({}, 2 ** 31), "/items/0/quantity"],
  ])("refuses %s out of bounds with 400 and stores nothing", async (_name, body, where) => {
    const before = (await (await fetch(`${service.url}/sagas`)).json()) as { sagas: unknown[] };
    const error = await expectError(await post(JSON.stringify(body)), 400, "HTTP_INVALID_REQUEST");
    expect(error.errors).toEqual([expect.objectContaining({ path: where })]);
    const after = (await (await fetch(`${service.url}/sagas`)).json()) as { sagas: unknown[] };
    expect(after.sagas).toHaveLength(before.sagas.length);
  });

  it("refuses 2^53+1, which JSON would silently round", async () => {
    const body = JSON.stringify(order()).replace('"consumer_id":70', '"consumer_id":9007199254740993');
    await expectError(await post(body), 400, "HTTP_INVALID_REQUEST");
  });

  it("answers every error in one coded shape", async () => {
    await expectError(await fetch(`${service.url}/contracts/no-such-contract.yaml`), 404, "HTTP_NOT_FOUND");
    await expectError(await fetch(`${service.url}/contracts/shared/missing.yaml`), 404, "HTTP_NOT_FOUND");
    await expectError(await fetch(`${service.url}/contracts/../package.json`), 404, "HTTP_NOT_FOUND");
    await expectError(await fetch(`${service.url}/no/such/route`), 404, "HTTP_NOT_FOUND");
    await expectError(await fetch(`${service.url}/orders/999999`), 404, "HTTP_NOT_FOUND");
    await expectError(await fetch(`${service.url}/sagas/999999`), 404, "HTTP_NOT_FOUND");
    await expectError(
      await fetch(`${service.url}/demo/constructor`, { method: "POST" }),
      404,
      "HTTP_NOT_FOUND",
    );
    await expectError(await fetch(`${service.url}/orders/abc`), 400, "HTTP_INVALID_REQUEST");
    await expectError(await post(JSON.stringify(order()), "text/plain"), 415, "HTTP_UNSUPPORTED_MEDIA_TYPE");
    await expectError(await post(JSON.stringify(order()), ""), 415, "HTTP_UNSUPPORTED_MEDIA_TYPE");
    await expectError(await post("{not json"), 400, "HTTP_MALFORMED_JSON");
    await expectError(await post(""), 400, "HTTP_MALFORMED_JSON");
    await expectError(
      await post(JSON.stringify({ ...order(), pad: "x".repeat(70_000) })),
      413,
      "HTTP_BODY_TOO_LARGE",
    );
  });
});

describe("the bounds are the contracts' bounds", () => {
  const schema = (file: string, name: string) =>
    (
      parse(readFileSync(path.join(REPO, "contracts", file), "utf8")) as {
        components: {
          schemas: Record<string, { properties: Record<string, { maximum?: number; minimum?: number }> }>;
        };
      }
    ).components.schemas[name]!.properties;
  // POST /orders validates with the order service contract's CreateOrderRequest (and its CreateOrderItem).
  const body = schema("order-service.yaml", "CreateOrderRequest");
  const http = {
    consumer_id: body.consumer_id!,
    card_id: body.card_id!,
    price: body.price!,
    items: { items: { properties: { quantity: schema("order-service.yaml", "CreateOrderItem").quantity! } } },
  };

  it("each number of an order has the HTTP schema's minimum and maximum in the contract that receives it", () => {
    const pairs = [
      [http.consumer_id, schema("consumer-service.yaml", "VerifyConsumerDetailsPayload").consumer_id],
      [http.card_id, schema("accounting-service.yaml", "AuthorizeCardPayload").card_id],
      [http.price, schema("accounting-service.yaml", "AuthorizeCardPayload").amount],
      [http.consumer_id, schema("restaurant-service.yaml", "CreateTicketPayload").customer_id],
      [http.items.items.properties.quantity, schema("restaurant-service.yaml", "OrderItem").quantity],
    ] as const;
    for (const [api, contract] of pairs) {
      expect(contract).toMatchObject({ minimum: api.minimum, maximum: INT32_MAX });
      expect(api.maximum).toBe(INT32_MAX);
    }
  });
});
