import { type SourceLocation } from "../errors.js";
import { messageFlows } from "../model/flows.js";
import { declarationFindings } from "./declarations.js";
import { schemaFingerprint } from "../model/schema-fingerprint.js";
import type { MessageModel, OperationModel, QueueModel, ServiceModel } from "../model/service-model.js";

/** Lint rules with stable ids (documented in the generator's README). */
export const LINT_RULES = {
  "queue-has-receiver": "every queue a channel is bound to is consumed by a service of the contract set",
  "message-has-receiver": "every message a service sends is received by the service that owns the queue",
  "message-schema-match": "sender and receiver of a message agree on its payload and headers schemas",
  "reply-declared": "the replies a sender expects for a command are the replies its receiver declares",
  "queue-binding-match":
    "every contract that names a queue or exchange declares it the same way (durable, exclusive, autoDelete, x- arguments, exchange type)",
  "queue-declaration-honoured":
    "no queue declares what the runtime does not: its own x-dead-letter-exchange (the runtime's is Q.dlx, bound to Q.dlq), exclusive or autoDelete",
  "schema-named": "every object or enum schema that becomes a type has a name",
} as const;

export type LintRule = keyof typeof LINT_RULES;

export interface Finding {
  readonly rule: LintRule;
  readonly message: string;
  readonly location: SourceLocation;
}

/** One message as it travels: who sends it to which queue, and under which operation. */
interface Flow {
  readonly service: ServiceModel;
  readonly operation: OperationModel;
  readonly queue: QueueModel;
  readonly message: MessageModel;
}

/** The flows of a service that go through a queue (see messageFlows for which are sent and which received). */
function flows(model: ServiceModel, direction: "sent" | "received"): Flow[] {
  return messageFlows(model, direction).flatMap((flow) =>
    flow.channel?.queue ? [{ ...flow, queue: flow.channel.queue }] : [],
  );
}

/** Checks the contract set as a whole. */
export function lintContracts(models: readonly ServiceModel[]): Finding[] {
  const findings: Finding[] = [];
  // The generator names such schemas from where they stand; this repository's contracts name them on purpose.
  for (const model of models) {
    for (const schema of model.schemas) {
      const { type, properties, enum: values } = schema.schema;
      if (
        schema.origin !== "derived" ||
        (type !== "object" && properties === undefined && values === undefined)
      )
        continue;
      findings.push({
        rule: "schema-named",
        message: `the schema at ${schema.place} has no title or component key (generated as ${schema.name})`,
        location: schema.location,
      });
    }
  }
  const received = models.flatMap((m) => flows(m, "received"));
  const owners = new Map<string, Set<string>>();
  for (const flow of received)
    owners.set(flow.queue.name, (owners.get(flow.queue.name) ?? new Set()).add(flow.service.service));

  for (const model of models) {
    for (const operation of model.operations) {
      for (const queue of [operation.channel.queue, operation.reply?.channel?.queue]) {
        if (!queue || owners.has(queue.name)) continue;
        findings.push({
          rule: "queue-has-receiver",
          message: `queue ${queue.name} (operation ${operation.id}) is consumed by no service in the contract set`,
          location: operation.location,
        });
      }
    }
  }
  findings.push(...declarationFindings(models));

  for (const model of models) {
    for (const sent of flows(model, "sent")) {
      if (!owners.has(sent.queue.name)) continue; // reported as queue-has-receiver
      const receivers = received.filter(
        (r) => r.queue.name === sent.queue.name && r.message.name === sent.message.name,
      );
      if (receivers.length === 0) {
        findings.push({
          rule: "message-has-receiver",
          message: `${sent.message.name} is sent to ${sent.queue.name}, but ${[...owners.get(sent.queue.name)!].join(", ")} does not receive it`,
          location: sent.message.location,
        });
        continue;
      }
      for (const receiver of receivers) findings.push(...compareSchemas(sent, receiver));
      if (sent.operation.action === "send") findings.push(...compareReplies(sent, receivers));
    }
  }
  return findings.sort(byLocation);
}

function compareSchemas(sent: Flow, receiver: Flow): Finding[] {
  const parts: ["payload" | "headers", string | undefined, string | undefined][] = [
    ["payload", sent.message.payload, receiver.message.payload],
    ["headers", sent.message.headers, receiver.message.headers],
  ];
  return parts.flatMap(([part, mine, theirs]): Finding[] => {
    const a = mine === undefined ? "" : schemaFingerprint(sent.service, mine);
    const b = theirs === undefined ? "" : schemaFingerprint(receiver.service, theirs);
    if (a === b) return [];
    return [
      {
        rule: "message-schema-match",
        message: `the ${part} of ${sent.message.name} differs between ${sent.service.service} (sender) and ${receiver.service.service} (receiver)`,
        location: sent.message.location,
      },
    ];
  });
}

function compareReplies(sent: Flow, receivers: readonly Flow[]): Finding[] {
  const expected = (sent.operation.reply?.messages ?? []).map((m) => m.name).sort();
  return receivers.flatMap((receiver): Finding[] => {
    const declared = (receiver.operation.reply?.messages ?? []).map((m) => m.name).sort();
    if (expected.join() === declared.join()) return [];
    return [
      {
        rule: "reply-declared",
        message:
          `${sent.service.service} expects replies [${expected.join(", ")}] to ${sent.message.name}, ` +
          `but ${receiver.service.service} declares [${declared.join(", ")}]`,
        location: sent.operation.location,
      },
    ];
  });
}

function byLocation(a: Finding, b: Finding): number {
  const ka = `${a.location.file}\0${String(a.location.line).padStart(6, "0")}\0${String(a.location.column).padStart(4, "0")}\0${a.rule}\0${a.message}`;
  const kb = `${b.location.file}\0${String(b.location.line).padStart(6, "0")}\0${String(b.location.column).padStart(4, "0")}\0${b.rule}\0${b.message}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
