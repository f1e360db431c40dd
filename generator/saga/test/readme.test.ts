import { readFileSync } from "node:fs";
import { serveAccountingService } from "@saga/generated/accounting-service";
import { serveConsumerService } from "@saga/generated/consumer-service";
import { createInProcessTransport, failure, success } from "@asyncgen/runtime";
import { describe, expect, it } from "vitest";
import { SAGA_ERROR_CODES } from "../src/index.js";
import { startPayments } from "./readme/payment-saga.js";

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), "utf8");
const example = read("./readme/payment-saga.ts");

describe("the READMEs' orchestrator example", () => {
  it.each([
    ["the package README", "../README.md"],
    ["the repository README", "../../../README.md"],
  ])("is in %s exactly as the compiled file", (_, readme) => {
    const section = read(readme).split(/^## Writing an orchestrator$/m)[1]!;
    expect(section.match(/```ts\n([\s\S]*?)```/)![1]).toBe(example);
  });

  it("runs against the participants' generated handlers: approved, refused, declined", async () => {
    const transport = createInProcessTransport();
    const refusal = (message: string) =>
      failure({ type: "ValueError", message, module: "test", traceback: [] });
    const consumer = await serveConsumerService(transport, {
      verifyConsumerDetails: async ({ consumer_id }) =>
        consumer_id < 50 ? refusal(`consumer ${consumer_id}`) : success(null),
    });
    const accounting = await serveAccountingService(transport, {
      authorizeCard: async ({ amount }) =>
        amount >= 50 ? refusal("declined") : success({ transaction_id: 9 }),
    });
    const payments = await startPayments(transport, ":memory:");
    try {
      const [paid, refused, declined] = await Promise.all([
        payments.pay(70, 1, 20),
        payments.pay(10, 1, 20),
        payments.pay(70, 1, 80),
      ]);
      await expect.poll(() => payments.status(paid)).toBe("succeeded");
      await expect.poll(() => payments.status(refused)).toBe("failed");
      await expect.poll(() => payments.status(declined)).toBe("failed");
    } finally {
      await payments.stop();
      await consumer.close();
      await accounting.close();
      await transport.close();
    }
  });
});

/** The package README's error table and the code registry list the same codes with the same descriptions. */
describe("the package README's error table", () => {
  const rows = new Map(
    [...read("../README.md").matchAll(/^\| `([A-Z_]+)` \| (.+?) \|$/gm)].map(
      (m) => [m[1]!, m[2]!.trim()] as const,
    ),
  );

  it("documents every code of the registry, with its description, and no other", () => {
    expect(Object.fromEntries(rows)).toEqual(SAGA_ERROR_CODES);
  });
});
