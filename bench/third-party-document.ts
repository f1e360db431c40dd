import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * One large document shaped like the ones companies publish rather than like this repository's contracts: a Kafka
 * API with `count` events, no message `name`s and no schema `title`s (names come from keys and places), inline
 * nested payloads, camelCase component keys, channel parameters and operation ids such as `orders/created.publish`.
 */
export function thirdPartyDocument(count = 120): { dir: string; messages: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "asyncgen-third-party-"));
  const range = Array.from({ length: count }, (_, i) => i);
  const lines = [
    "asyncapi: 3.0.0",
    "info:\n  title: Retail events\n  version: 4.2.0",
    "servers:\n  cluster:\n    host: kafka.example.org:9092\n    protocol: kafka",
    "channels:",
    ...range.map(
      (i) =>
        `  topic${i}:\n    address: retail.{region}.event${i}\n    parameters:\n      region:\n        enum: [eu, us]\n` +
        `    messages:\n      event${i}:\n        $ref: "#/components/messages/event${i}"`,
    ),
    "operations:",
    ...range.map(
      (i) =>
        `  retail/event${i}.publish:\n    action: send\n    channel:\n      $ref: "#/channels/topic${i}"`,
    ),
    "components:\n  messages:",
    ...range.map(
      (i) =>
        `    event${i}:\n      summary: Event ${i}.\n      payload:\n        $ref: "#/components/schemas/event${i}Payload"\n` +
        `      examples:\n        - payload:\n            id: e-${i}\n            at: "2026-12-01T00:00:00Z"\n            lines:\n              - sku: S${i}\n                qty: 1`,
    ),
    "  schemas:",
    "    sentAt:\n      type: string\n      format: date-time",
    ...range.map(
      (i) =>
        `    event${i}Payload:\n      type: object\n      required: [id]\n      properties:\n        id:\n          type: string\n` +
        `        at:\n          $ref: "#/components/schemas/sentAt"\n        customer:\n          type: object\n          properties:\n` +
        `            email:\n              type: string\n              format: email\n            tier:\n              enum: [gold, silver]\n` +
        `        lines:\n          type: array\n          items:\n            type: object\n            properties:\n` +
        `              sku:\n                type: string\n              qty:\n                type: integer\n                minimum: 1`,
    ),
  ];
  writeFileSync(path.join(dir, "retail-events.yaml"), `${lines.join("\n")}\n`);
  return { dir, messages: count };
}
