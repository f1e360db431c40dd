import path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { MessageSpec } from "@asyncgen/runtime";
import { ContractLoader } from "../src/load/load-contracts.js";
import { discoverContracts } from "../src/load/discover.js";
import { buildServiceModel } from "../src/model/build-model.js";
import type { JsonSchema, MessageModel, ServiceModel } from "../src/model/service-model.js";
import { REPO } from "./helpers.js";

/** The real contracts' examples against the committed generated validators. */
let models: ServiceModel[] = [];
const generated = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  const loader = new ContractLoader({ root: REPO });
  models = (await loader.loadAll(discoverContracts(path.join(REPO, "contracts")))).map(buildServiceModel);
  for (const model of models) {
    generated.set(
      model.service,
      (await import(`../../../generated/${model.service}/messages.ts`)) as Record<string, unknown>,
    );
  }
}, 60_000);

function specOf(model: ServiceModel, message: MessageModel): MessageSpec<unknown> {
  return generated.get(model.service)![message.typeName] as MessageSpec<unknown>;
}

function examples(): [string, ServiceModel, MessageModel, unknown][] {
  return models.flatMap((model) =>
    model.messages.flatMap((message) =>
      message.examples.map((e): [string, ServiceModel, MessageModel, unknown] => [
        `${model.service} ${message.name} ${e.name ?? ""}`,
        model,
        message,
        e.payload,
      ]),
    ),
  );
}

function objectSchema(model: ServiceModel, message: MessageModel): JsonSchema {
  return model.schemas.find((s) => s.name === message.payload)!.schema;
}

describe("generated validators on the contracts' examples", () => {
  it("the contracts have examples to check", () => {
    expect(examples().length).toBeGreaterThanOrEqual(8);
  });

  it("accept every example of every message", () => {
    for (const [label, model, message, payload] of examples()) {
      const spec = specOf(model, message);
      expect(spec.validatePayload(payload), `${label}: ${JSON.stringify(spec.validatePayload.errors)}`).toBe(
        true,
      );
    }
  });

  it("accept the headers every message carries", () => {
    for (const model of models) {
      for (const message of model.messages) {
        const spec = specOf(model, message);
        expect(spec.validateHeaders?.({ contract_version: model.version })).toBe(true);
        expect(spec.validateHeaders?.({})).toBe(false);
      }
    }
  });

  it("reject an example without one of its required fields", () => {
    fc.assert(
      fc.property(fc.constantFrom(...examples()), fc.nat(), ([, model, message, payload], pick) => {
        const required = (objectSchema(model, message).required ?? []) as string[];
        fc.pre(required.length > 0);
        const field = required[pick % required.length]!;
        const mutated = { ...(payload as object) } as Record<string, unknown>;
        delete mutated[field];
        return !specOf(model, message).validatePayload(mutated);
      }),
    );
  });

  it("reject an example with a field of the wrong type", () => {
    const wrong = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noInteger: true }),
      fc.object(),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...examples()),
        fc.nat(),
        wrong,
        ([, model, message, payload], pick, value) => {
          const properties = (objectSchema(model, message).properties ?? {}) as Record<string, JsonSchema>;
          const integers = Object.keys(properties).filter((k) => properties[k]!.type === "integer");
          fc.pre(integers.length > 0);
          const mutated = { ...(payload as object), [integers[pick % integers.length]!]: value };
          return !specOf(model, message).validatePayload(mutated);
        },
      ),
    );
  });

  it("reject an example with a property the closed schema does not declare", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples()),
        fc.string({ minLength: 1 }),
        ([, model, message, payload], key) => {
          const schema = objectSchema(model, message);
          fc.pre(
            schema.additionalProperties === false && !Object.keys(schema.properties ?? {}).includes(key),
          );
          return !specOf(model, message).validatePayload({ ...(payload as object), [key]: 1 });
        },
      ),
    );
  });

  it("report where a payload is wrong", () => {
    const restaurant = generated.get("restaurant-service")!;
    const spec = restaurant.CreateTicket as MessageSpec<unknown>;
    expect(spec.validatePayload({ order_id: 1, customer_id: 2, items: [{ name: "x", quantity: 0 }] })).toBe(
      false,
    );
    expect(spec.validatePayload.errors?.[0]?.instancePath).toBe("/items/0/quantity");
  });
});
