import type { SourceLocation } from "../errors.js";
import type { LoadedContract } from "../load/load-contracts.js";
import type { YamlSource } from "../load/yaml-source.js";
import { messageFlows } from "../model/flows.js";
import type { ChannelModel, MessageModel, OperationModel, ServiceModel } from "../model/service-model.js";
import { indexSchemas, type Anchor, type Located } from "./locate.js";
import { schemaContext, type SchemaContext } from "./schema-walk.js";

export interface ContractNode {
  readonly service: string;
  readonly file: string;
  readonly version: string;
  /** Where each named schema the contract uses is defined (in the contract or a file it references). */
  readonly schemas: ReadonlyMap<string, Anchor>;
}

/** A channel a message travels on, as one service's contract declares it. */
export interface Route {
  readonly service: string;
  readonly channel: ChannelModel;
  readonly anchor: Anchor;
}

/** One message of the contract set, once, however many contracts reference it. */
export interface MessageNode {
  readonly name: string;
  /** The contract that defines the message: the receiver of a command, the sender of its replies (DESIGN §3). */
  readonly owner: string;
  readonly isReply: boolean;
  readonly senders: ReadonlySet<string>;
  readonly receivers: ReadonlySet<string>;
  /** The owner's view of the message (payload and headers schema names) and its named schemas. */
  readonly message: MessageModel;
  readonly context: SchemaContext;
  /** The queues it travels on. */
  readonly queues: ReadonlySet<string>;
  readonly routes: readonly Route[];
  /** `components.messages.<key>` in the owner's contract, when it is defined there. */
  readonly anchor: Anchor | undefined;
  readonly location: SourceLocation;
}

export interface QueueNode {
  readonly name: string;
  /** Each service's declaration of the queue (a channel binding naming it). */
  readonly declarations: ReadonlyMap<string, { readonly shape: string; readonly anchor: Anchor }>;
  readonly consumers: ReadonlySet<string>;
  readonly publishers: ReadonlySet<string>;
}

export interface OperationNode {
  readonly service: string;
  readonly operation: OperationModel;
  readonly anchor: Anchor;
}

/** The resolved contract set: what `asyncgen diff` compares. */
export interface ContractGraph extends Located {
  readonly contracts: ReadonlyMap<string, ContractNode>;
  readonly messages: ReadonlyMap<string, MessageNode>;
  /** Queues and exchanges, by `queue <name>` / `exchange <name>`. */
  readonly queues: ReadonlyMap<string, QueueNode>;
  /** By `<service>#<operation id>`. */
  readonly operations: ReadonlyMap<string, OperationNode>;
}

interface MessageEntry {
  senders: Set<string>;
  receivers: Set<string>;
  routes: Route[];
  isReply: boolean;
  views: Map<string, { model: ServiceModel; message: MessageModel }>;
}

/** Builds the graph of a contract set; `dir` is the contracts folder as shown in locations. */
export function buildGraph(
  contracts: readonly LoadedContract[],
  models: readonly ServiceModel[],
  dir = "",
): ContractGraph {
  const files = new Map<string, YamlSource>();
  const definedIn = new Map<string, { service: string; anchor: Anchor }>();
  const contractNodes = new Map<string, ContractNode>();
  for (const contract of contracts) {
    for (const [file, source] of contract.sources) files.set(file, source);
    const data = contract.sources.get(contract.file)?.data as {
      components?: { messages?: Record<string, { name?: unknown }> };
    } | null;
    for (const [key, message] of Object.entries(data?.components?.messages ?? {})) {
      if (typeof message?.name === "string" && !definedIn.has(message.name))
        definedIn.set(message.name, {
          service: contract.service,
          anchor: { file: contract.file, path: ["components", "messages", key] },
        });
    }
  }
  for (const model of models) {
    const contract = contracts.find((c) => c.service === model.service);
    contractNodes.set(model.service, {
      service: model.service,
      file: model.file,
      version: model.version,
      schemas: indexSchemas(contract?.sources.values() ?? []),
    });
  }

  const entries = new Map<string, MessageEntry>();
  const queues = new Map<
    string,
    {
      declarations: Map<string, { shape: string; anchor: Anchor }>;
      consumers: Set<string>;
      publishers: Set<string>;
    }
  >();
  const queue = (key: string) => {
    let node = queues.get(key);
    if (!node)
      queues.set(key, (node = { declarations: new Map(), consumers: new Set(), publishers: new Set() }));
    return node;
  };
  const operations = new Map<string, OperationNode>();
  for (const model of models) {
    const channelAnchor = (channel: ChannelModel): Anchor => ({
      file: model.file,
      path: ["channels", channel.id],
    });
    for (const operation of model.operations) {
      operations.set(`${model.service}#${operation.id}`, {
        service: model.service,
        operation,
        anchor: { file: model.file, path: ["operations", operation.id] },
      });
      for (const channel of [operation.channel, operation.reply?.channel]) {
        if (!channel) continue;
        const declared = declaration(channel);
        if (declared)
          queue(declared.key).declarations.set(model.service, {
            shape: declared.shape,
            anchor: { file: model.file, path: ["channels", channel.id, "bindings", "amqp"] },
          });
      }
    }
    for (const direction of ["sent", "received"] as const) {
      for (const flow of messageFlows(model, direction)) {
        let entry = entries.get(flow.message.name);
        if (!entry)
          entries.set(
            flow.message.name,
            (entry = {
              senders: new Set(),
              receivers: new Set(),
              routes: [],
              isReply: false,
              views: new Map(),
            }),
          );
        (direction === "sent" ? entry.senders : entry.receivers).add(model.service);
        entry.isReply ||= flow.isReply;
        entry.views.set(model.service, { model, message: flow.message });
        if (!flow.channel) continue;
        const channel = flow.channel;
        if (!entry.routes.some((r) => r.service === model.service && r.channel.id === channel.id))
          entry.routes.push({ service: model.service, channel, anchor: channelAnchor(channel) });
        const declared = declaration(channel);
        if (declared)
          (direction === "sent" ? queue(declared.key).publishers : queue(declared.key).consumers).add(
            model.service,
          );
      }
    }
  }

  const messages = new Map<string, MessageNode>();
  for (const [name, entry] of entries) {
    const defined = definedIn.get(name);
    const owner =
      defined?.service ??
      [...(entry.isReply ? entry.senders : entry.receivers)].sort()[0] ??
      [...entry.views.keys()].sort()[0]!;
    const view = entry.views.get(owner) ?? [...entry.views.values()][0]!;
    messages.set(name, {
      name,
      owner,
      isReply: entry.isReply,
      senders: entry.senders,
      receivers: entry.receivers,
      message: view.message,
      context: schemaContext(view.model.schemas),
      queues: new Set(entry.routes.flatMap((r) => (r.channel.queue ? [r.channel.queue.name] : []))),
      routes: entry.routes,
      anchor: defined?.anchor,
      location: view.message.location,
    });
  }
  const queueNodes = new Map(
    [...queues].map(([key, node]): [string, QueueNode] => [key, { name: key, ...node }]),
  );
  return { dir, files, contracts: contractNodes, messages, queues: queueNodes, operations };
}

/** The queue or exchange a channel's binding declares, with what must stay the same for the broker. */
function declaration(channel: ChannelModel): { key: string; shape: string } | undefined {
  if (channel.queue) {
    const { name, durable, exclusive, autoDelete, arguments: args } = channel.queue;
    return { key: `queue ${name}`, shape: JSON.stringify({ durable, exclusive, autoDelete, ...args }) };
  }
  if (channel.exchange) {
    const { name, type, durable } = channel.exchange;
    return { key: `exchange ${name}`, shape: JSON.stringify({ type, durable }) };
  }
  return undefined;
}
