import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  decodeJson,
  encodeJson,
  ERROR_CODES,
  hasCode,
  memoryDedup,
  MessageValidationError,
  parsePayload,
  SagaToolkitError,
  type MessageSpec,
  type Validator,
} from "../src/index.js";

/** A validator compiled by ajv, as generated code ships them precompiled. */
const ajv = new Ajv({ allErrors: true });
const validateTicket: Validator = ajv.compile({
  type: "object",
  required: ["order_id", "items"],
  additionalProperties: false,
  properties: {
    order_id: { type: "integer" },
    items: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "quantity"],
        additionalProperties: false,
        properties: { name: { type: "string" }, quantity: { type: "integer" } },
      },
    },
  },
});
const CreateTicket: MessageSpec<{ order_id: number; items: { name: string; quantity: number }[] }> = {
  name: "restaurant_service.create_ticket",
  validatePayload: validateTicket,
};

describe("parsePayload", () => {
  it("returns valid data as the payload type", () => {
    const payload = { order_id: 7, items: [{ name: "pizza", quantity: 2 }] };
    expect(parsePayload(CreateTicket, payload)).toBe(payload);
  });

  it("throws MSG_INVALID_PAYLOAD listing every ajv issue", () => {
    const stackTraceLimit = Error.stackTraceLimit;
    const error: unknown = (() => {
      try {
        parsePayload(CreateTicket, { items: [{ name: "pizza", quantity: 1.5 }] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MessageValidationError);
    expect(hasCode(error, "MSG_INVALID_PAYLOAD")).toBe(true);
    const validation = error as MessageValidationError;
    expect(validation.message).toBe(
      "restaurant_service.create_ticket: / must have required property 'order_id'; /items/0/quantity must be integer",
    );
    expect(validation.messageName).toBe("restaurant_service.create_ticket");
    expect(validation.issues.map((i) => i.keyword)).toEqual(["required", "type"]);
    expect(validation.context).toMatchObject({ messageName: "restaurant_service.create_ticket" });
    // No stack frames (they would always point at parsePayload), and the process's stack limit is left as it was.
    expect(validation.stack).toBe(`MessageValidationError: ${validation.message}`);
    expect(Error.stackTraceLimit).toBe(stackTraceLimit);
    expect(new Error("after").stack).toContain("messages.test.ts");
  });
});

describe("JSON codec", () => {
  it("round-trips values as UTF-8 JSON", () => {
    const value = { name: "crème brûlée", n: 1, list: [true, null] };
    expect(decodeJson(encodeJson(value), "m")).toEqual(value);
    expect(encodeJson(undefined).toString()).toBe("null");
  });

  it("rejects a body that is not JSON with MSG_MALFORMED_JSON naming the message", () => {
    expect(() => decodeJson(Buffer.from("{oops"), "calc.add")).toThrow(
      expect.objectContaining({ code: "MSG_MALFORMED_JSON", message: expect.stringContaining("calc.add") }),
    );
  });
});

describe("hasCode", () => {
  it("checks the code, not the class, so copies of the package agree", () => {
    const foreign = Object.assign(new Error("from another copy"), { code: "AMQP_NACKED" });
    expect(hasCode(foreign, "AMQP_NACKED")).toBe(true);
    expect(hasCode(foreign, "AMQP_UNROUTABLE")).toBe(false);
    expect(hasCode({ code: "AMQP_NACKED" }, "AMQP_NACKED")).toBe(false); // not an Error at all
    expect(hasCode(new SagaToolkitError("HANDLER_FAILED", "x"), "HANDLER_FAILED")).toBe(true);
  });

  it("has a description for every code", () => {
    for (const description of Object.values(ERROR_CODES)) expect(description.length).toBeGreaterThan(10);
  });
});

describe("memoryDedup", () => {
  it("remembers ids up to its capacity, evicting the least recently seen", async () => {
    const dedup = memoryDedup(3);
    for (const id of ["a", "b", "c"]) await dedup.add(id);
    expect(await dedup.has("a")).toBe(true); // touching "a" makes "b" the oldest
    await dedup.add("d");
    expect(await dedup.has("b")).toBe(false);
    expect([await dedup.has("a"), await dedup.has("c"), await dedup.has("d")]).toEqual([true, true, true]);
    expect(await dedup.has("never")).toBe(false);
  });
});
