import type { SourceLocation } from "../errors.js";
import type { LoadedContract } from "../load/load-contracts.js";
import type { YamlSource } from "../load/yaml-source.js";
import type {
  MessageModel,
  NamedSchema,
  OperationModel,
  QueueModel,
  ServiceModel,
} from "../model/service-model.js";
import type { SchemaContext } from "./schema-walk.js";

/** One message of the contract set, once, whatever number of contracts reference it. */
export interface MessageNode {
  readonly name: string;
  /** The service whose contract defines the message (the receiver of a command, the sender of its replies). */
  readonly owner: string;
  /** Replies are owned by their sender; everything else by its receiver (DESIGN §3). */
  readonly ownerSends: boolean;
  readonly senders: ReadonlySet<string>;
  readonly receivers: ReadonlySet<string>;
  readonly queues: ReadonlySet<string>;
  readonly message: MessageModel;
  readonly context: SchemaContext;
  readonly locate: (schema: string | undefined, path: readonly string[]) => SourceLocation;
}

export interface ContractGraph {
  readonly messages: ReadonlyMap<string, MessageNode>;
  readonly queues: ReadonlyMap<string, { readonly queue: QueueModel; readonly location: SourceLocation }>;
  readonly operations: ReadonlyMap<string, { readonly service: string; readonly operation: OperationModel }>;
  readonly versions: ReadonlyMap<string, string>;
}

/** Builds the resolved graph of a contract set: messages with who sends and receives them, queues, operations. */
export function buildGraph(
  contracts: readonly LoadedContract[],
  models: readonly ServiceModel[],
): ContractGraph {
  const contractOf = new Map(contracts.map((c) => [c.service, c]));
  const definedIn = new Map<string, string>();
  for (const contract of contracts) {
    const components = (
      contract.sources.get(contract.file)!.data as {
        components?: { messages?: Record<string, { name?: string }> };
      }
    ).components?.messages;
    for (const message of Object.values(components ?? {}))
      if (message.name) definedIn.set(message.name, contract.service);
  }

  const flows = new Map<
    string,
    {
      senders: Set<string>;
      receivers: Set<string>;
      queues: Set<string>;
      isReply: boolean;
      byService: Map<string, ServiceModel>;
    }
  >();
  const flow = (name: string) => {
    let entry = flows.get(name);
    if (!entry)
      flows.set(
        name,
        (entry = {
          senders: new Set(),
          receivers: new Set(),
          queues: new Set(),
          isReply: false,
          byService: new Map(),
        }),
      );
    return entry;
  };
  const queues = new Map<string, { queue: QueueModel; location: SourceLocation }>();
  const operations = new Map<string, { service: string; operation: OperationModel }>();
  for (const model of models) {
    for (const operation of model.operations) {
      operations.set(`${model.service}#${operation.id}`, { service: model.service, operation });
      const sends = operation.action === "send";
      for (const message of operation.messages) {
        const entry = flow(message.name);
        (sends ? entry.senders : entry.receivers).add(model.service);
        if (operation.channel.queue) entry.queues.add(operation.channel.queue.name);
        entry.byService.set(model.service, model);
      }
      for (const message of operation.reply?.messages ?? []) {
        const entry = flow(message.name);
        (sends ? entry.receivers : entry.senders).add(model.service);
        if (operation.reply?.channel?.queue) entry.queues.add(operation.reply.channel.queue.name);
        entry.isReply = true;
        entry.byService.set(model.service, model);
      }
      for (const queue of [operation.channel.queue, operation.reply?.channel?.queue]) {
        // The consumer's declaration (with its arguments) is the one that counts.
        if (queue && (!queues.has(queue.name) || Object.keys(queue.arguments).length > 0)) {
          queues.set(queue.name, { queue, location: operation.location });
        }
      }
    }
  }

  const messages = new Map<string, MessageNode>();
  for (const [name, entry] of flows) {
    const owner =
      definedIn.get(name) ??
      [...(entry.isReply ? entry.senders : entry.receivers)][0] ??
      [...entry.byService.keys()][0]!;
    const model = entry.byService.get(owner) ?? [...entry.byService.values()][0]!;
    const message = model.messages.find((m) => m.name === name)!;
    const contract = contractOf.get(owner) ?? contractOf.get(model.service)!;
    messages.set(name, {
      name,
      owner,
      ownerSends: entry.isReply,
      senders: entry.senders,
      receivers: entry.receivers,
      queues: entry.queues,
      message,
      context: { defs: new Map(model.schemas.map((s): [string, NamedSchema] => [s.name, s])) },
      locate: (schema, path) =>
        locateSchema(contract, schema, path) ?? locateMessage(contract, name) ?? message.location,
    });
  }
  return { messages, queues, operations, versions: new Map(models.map((m) => [m.service, m.version])) };
}

/** `components.schemas.<name>` in any file of the contract, then the path inside it. */
function locateSchema(
  contract: LoadedContract,
  schema: string | undefined,
  path: readonly string[],
): SourceLocation | undefined {
  if (!schema) return undefined;
  for (const source of contract.sources.values()) {
    const schemas =
      (source.data as { components?: { schemas?: Record<string, { title?: string }> } } | null)?.components
        ?.schemas ?? {};
    const key = Object.keys(schemas).find((k) => k === schema || schemas[k]?.title === schema);
    if (key) return source.locate(["components", "schemas", key, ...path]);
  }
  return undefined;
}

function locateMessage(contract: LoadedContract, name: string): SourceLocation | undefined {
  const source: YamlSource = contract.sources.get(contract.file)!;
  const messages =
    (source.data as { components?: { messages?: Record<string, { name?: string }> } }).components?.messages ??
    {};
  const key = Object.keys(messages).find((k) => messages[k]?.name === name);
  return key ? source.locate(["components", "messages", key]) : undefined;
}
