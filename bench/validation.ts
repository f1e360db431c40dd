import { CreateTicket } from "@saga/generated/restaurant-service";
import { decodeJson, parsePayload } from "@asyncgen/runtime";
import { Ajv } from "ajv";
import { z } from "zod";

/**
 * Validating and decoding one message payload: the generated path (`parsePayload` with the precompiled validator,
 * returning the typed payload or throwing MSG_INVALID_PAYLOAD) against the floor (raw ajv compiled from the same
 * schema with the same options) and what users would otherwise write (Zod 4). All three start from the parsed JSON:
 * `JSON.parse` of the body costs the same for each and is reported on its own.
 */
const valid = Buffer.from(
  JSON.stringify({
    order_id: 1,
    customer_id: 70,
    items: [
      { name: "Dish 1", quantity: 2 },
      { name: "Dish 2", quantity: 5 },
    ],
  }),
);
const invalid = Buffer.from(
  JSON.stringify({ order_id: "1", customer_id: 70, items: [{ name: "", quantity: 0 }] }),
);

const schema = {
  type: "object",
  additionalProperties: false,
  required: ["order_id", "customer_id", "items"],
  properties: {
    order_id: { type: "integer" },
    customer_id: { type: "integer" },
    items: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "quantity"],
        properties: { name: { type: "string", minLength: 1 }, quantity: { type: "integer", minimum: 1 } },
      },
    },
  },
};
const raw = new Ajv({ allErrors: true, strict: true }).compile(schema);
const zod = z.strictObject({
  order_id: z.number().int(),
  customer_id: z.number().int(),
  items: z.array(z.strictObject({ name: z.string().min(1), quantity: z.number().int().min(1) })).min(1),
});

function nsPerOp(run: () => void, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) run(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  return Number(process.hrtime.bigint() - start) / iterations;
}

export interface ValidationRow {
  readonly payload: "valid" | "invalid";
  readonly jsonParse: number;
  readonly generated: number;
  readonly rawAjv: number;
  readonly zod: number;
}

export function measureValidation(iterations = 300_000): ValidationRow[] {
  return (["valid", "invalid"] as const).map((payload) => {
    const body = payload === "valid" ? valid : invalid;
    const data = JSON.parse(body.toString("utf8")) as unknown;
    return {
      payload,
      jsonParse: nsPerOp(() => void decodeJson(body, CreateTicket.name), iterations),
      generated: nsPerOp(() => {
        try {
          parsePayload(CreateTicket, data);
        } catch {
          // an invalid payload throws MessageValidationError, as in production
        }
      }, iterations),
      rawAjv: nsPerOp(() => void raw(data), iterations),
      zod: nsPerOp(() => void zod.safeParse(data), payload === "valid" ? iterations : iterations / 4),
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(measureValidation());
