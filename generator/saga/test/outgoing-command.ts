import { randomUUID } from "node:crypto";
import type { OutgoingMessage } from "@asyncgen/runtime";

/** A built command for saga `saga`, as a transition's outbox holds it; its body names the saga. */
export function outgoingCommand(saga: number, messageId: string = randomUUID()): OutgoingMessage {
  return {
    exchange: "",
    routingKey: "somewhere",
    body: Buffer.from(JSON.stringify({ saga })),
    properties: {
      messageId,
      type: "a.command",
      correlationId: String(saga),
      timestamp: 1,
      contentType: "application/json",
      headers: {},
    },
  };
}
