import { randomUUID } from "node:crypto";
import { publishRaw, type RawMessage } from "../broker.js";
import { sleep } from "../orders.js";
import type { Scenario } from "./scenario.js";

/** A queue the services consume, a message type it receives with a valid and an invalid payload. */
interface Target {
  readonly queue: string;
  readonly type: string;
  readonly valid: object;
  readonly invalid: object;
  /** Commands need reply_to; replies do not. */
  readonly command: boolean;
}

const TARGETS: readonly Target[] = [
  {
    queue: "consumer_service.commands",
    type: "consumer_service.verify_consumer_details",
    valid: { consumer_id: 70 },
    invalid: { consumer_id: "seventy" },
    command: true,
  },
  {
    queue: "restaurant_service.commands",
    type: "restaurant_service.create_ticket",
    valid: { order_id: 1, customer_id: 70, items: [{ name: "Dish 1", quantity: 2 }] },
    invalid: { order_id: 1, customer_id: 70, items: "two dishes" },
    command: true,
  },
  {
    queue: "accounting_service.commands",
    type: "accounting_service.authorize_card",
    valid: { card_id: 3, amount: 20 },
    invalid: { card_id: 3 },
    command: true,
  },
  {
    queue: "create_order_saga_responses",
    type: "accounting_service.authorize_card.response.success",
    valid: { transaction_id: 1 },
    invalid: { transaction_id: "one" },
    command: false,
  },
];

interface BadMessage {
  readonly label: string;
  /** The x-error-code its dead letter must carry. */
  readonly code: string;
  readonly type: string;
  readonly body: string;
  readonly headers: object;
  readonly replyTo: boolean;
}

/** The bad messages for one queue; commands carry reply_to unless that is what is wrong. */
function badMessagesFor(target: Target): BadMessage[] {
  const headers = { contract_version: "1.0.0" };
  const base = { type: target.type, headers, replyTo: target.command };
  const valid = JSON.stringify(target.valid);
  return [
    { ...base, label: "malformed JSON", code: "MSG_MALFORMED_JSON", body: "{not json" },
    { ...base, label: "unknown type", code: "MSG_UNKNOWN_TYPE", type: "chaos.unknown_message", body: "{}" },
    { ...base, label: "invalid payload", code: "MSG_INVALID_PAYLOAD", body: JSON.stringify(target.invalid) },
    {
      ...base,
      label: "invalid headers",
      code: "MSG_INVALID_HEADERS",
      body: valid,
      headers: { contract_version: "one" },
    },
    ...(target.command
      ? [
          {
            ...base,
            label: "command without reply_to",
            code: "MSG_MISSING_REPLY_TO",
            body: valid,
            replyTo: false,
          },
        ]
      : []),
  ];
}

/**
 * Malformed, unknown-type, invalid and reply_to-less messages published straight into every consumed queue, in
 * rounds, while orders flow. Each gets a fresh message id (correlation id "0", a saga that never exists) and is
 * remembered, so the dead-letter check can match it.
 */
export function badMessages(rounds: number): Scenario {
  return {
    name: `invalid and unknown messages into each queue (${rounds} rounds)`,
    async run(h) {
      const stopDriving = h.driver.keepDriving(this.name, 150);
      try {
        for (let round = 0; round < rounds; round++) {
          const raw: RawMessage[] = [];
          for (const target of TARGETS) {
            for (const bad of badMessagesFor(target)) {
              const messageId = `chaos-${randomUUID()}`;
              raw.push({
                queue: target.queue,
                body: bad.body,
                options: {
                  messageId,
                  type: bad.type,
                  correlationId: "0",
                  contentType: "application/json",
                  persistent: true,
                  timestamp: Math.floor(Date.now() / 1000),
                  headers: bad.headers,
                  ...(bad.replyTo ? { replyTo: "create_order_saga_responses" } : {}),
                },
              });
              h.injected.push({ messageId, queue: target.queue, code: bad.code, label: bad.label });
              h.faults.add(`bad message: ${bad.label}`);
            }
          }
          await publishRaw(h.vhost.url, raw);
          await sleep(1000);
        }
      } finally {
        await stopDriving();
      }
    },
  };
}
