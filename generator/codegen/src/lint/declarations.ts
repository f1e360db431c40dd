import { isDeepStrictEqual } from "node:util";
import type { SourceLocation } from "../errors.js";
import type { ServiceModel } from "../model/service-model.js";

/** The runtime's own dead-letter argument (runtime dead-letter.ts: every queue gets `<queue>.dlx` and `<queue>.dlq`). */
const DEAD_LETTER_EXCHANGE = "x-dead-letter-exchange";

export interface DeclarationFinding {
  readonly rule: "queue-binding-match" | "queue-declaration-honoured";
  readonly message: string;
  readonly location: SourceLocation;
}

interface Declared {
  readonly service: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** The service consumes the queue (so it is the one declaring it at start). */
  readonly consumes: boolean;
  readonly location: SourceLocation;
}

/**
 * Every contract that names a queue or an exchange must declare it as the service consuming it does: RabbitMQ
 * refuses a redeclaration with other properties or arguments (PRECONDITION_FAILED), and a contract that says
 * otherwise misleads whoever reads it or declares from it. And a queue must be declared as the runtime declares it,
 * or the contract's words would be replaced without one: the runtime sets `x-dead-letter-exchange: <queue>.dlx`
 * itself (where it republishes refused messages with the reason in headers, into `<queue>.dlq`), and declares every
 * queue neither exclusive nor auto-deleted (several consumers share it, and it outlives them).
 */
export function declarationFindings(models: readonly ServiceModel[]): DeclarationFinding[] {
  const findings: DeclarationFinding[] = [];
  const declared = new Map<string, Declared[]>();
  const once = new Set<string>();
  for (const model of models) {
    for (const operation of model.operations) {
      const channels = [
        { channel: operation.channel, consumes: operation.action === "receive" },
        { channel: operation.reply?.channel, consumes: operation.action === "send" },
      ];
      for (const { channel, consumes } of channels) {
        if (!channel) continue;
        const add = (key: string, fields: Record<string, unknown>) => {
          if (once.has(`${model.service}\0${key}\0${consumes}`)) return;
          once.add(`${model.service}\0${key}\0${consumes}`);
          const entry = { service: model.service, fields, consumes, location: operation.location };
          declared.set(key, [...(declared.get(key) ?? []), entry]);
        };
        if (channel.queue) {
          const { name, durable, exclusive, autoDelete, arguments: args } = channel.queue;
          add(`queue ${name}`, { durable, exclusive, autoDelete, ...args });
          const ignored = [
            ...(args[DEAD_LETTER_EXCHANGE] !== undefined
              ? [
                  `${DEAD_LETTER_EXCHANGE}: ${JSON.stringify(args[DEAD_LETTER_EXCHANGE])} (the runtime's is ${name}.dlx, bound to ${name}.dlq)`,
                ]
              : []),
            ...(exclusive ? ["exclusive: true"] : []),
            ...(autoDelete ? ["autoDelete: true"] : []),
          ];
          if (ignored.length > 0 && !once.has(`honoured ${name}`)) {
            once.add(`honoured ${name}`); // once per queue, however many contracts name it
            findings.push({
              rule: "queue-declaration-honoured",
              message: `queue ${name} declares ${ignored.join(", ")}, which the runtime does not declare: it declares every queue shared, kept and dead-lettered to its own exchange; remove ${ignored.length === 1 ? "it" : "them"}`,
              location: operation.location,
            });
          }
        }
        if (channel.exchange) {
          const { name, type, durable } = channel.exchange;
          add(`exchange ${name}`, { type, durable });
        }
      }
    }
  }
  for (const [key, entries] of declared) {
    const base = entries.find((e) => e.consumes) ?? entries[0]!;
    const reported = new Set<string>();
    for (const entry of entries) {
      const differing = [...new Set([...Object.keys(entry.fields), ...Object.keys(base.fields)])]
        .sort()
        .filter((field) => !isDeepStrictEqual(entry.fields[field], base.fields[field]));
      if (differing.length === 0 || reported.has(entry.service)) continue;
      reported.add(entry.service);
      const show = (fields: Readonly<Record<string, unknown>>) =>
        differing.map((f) => `${f}=${JSON.stringify(fields[f]) ?? "(unset)"}`).join(", ");
      findings.push({
        rule: "queue-binding-match",
        message:
          `${key} is declared with ${show(entry.fields)} here but ${show(base.fields)} in ${base.service}` +
          (base.consumes ? ", which consumes it" : ""),
        location: entry.location,
      });
    }
  }
  return findings;
}
