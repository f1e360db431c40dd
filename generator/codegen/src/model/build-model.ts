import type { ChannelInterface, MessageInterface, OperationInterface } from "@asyncapi/parser";
import { codegenError, type SourceLocation } from "../errors.js";
import type { LoadedContract } from "../load/load-contracts.js";
import { pascalCase } from "./names.js";
import { SchemaRegistry } from "./schemas.js";
import type {
  ChannelModel,
  JsonSchema,
  MessageExample,
  MessageModel,
  OperationModel,
  QueueModel,
  ServiceModel,
} from "./service-model.js";

/** Turns a parsed contract into the generator's model; fails on anything the emitters could not render faithfully. */
export function buildServiceModel(contract: LoadedContract): ServiceModel {
  const { document } = contract;
  const source = contract.sources.get(contract.file)!;
  const at = (pointer: string | undefined): SourceLocation =>
    source.locate((pointer ?? "").split("/").filter((part) => part.length > 0));

  const schemas = new SchemaRegistry();
  const messages = new Map<string, MessageModel>();

  const message = (m: MessageInterface): MessageModel => {
    const typeName = pascalCase(m.id());
    const where = at(m.meta().pointer);
    const name = m.name();
    if (!name)
      throw codegenError("CODEGEN_CONTRACT_INVALID", `message ${m.id()} has no name (its wire type)`, where);
    const existing = messages.get(typeName);
    if (existing) {
      if (existing.name !== name) {
        throw codegenError(
          "CODEGEN_NAME_COLLISION",
          `messages ${existing.name} and ${name} would both be called ${typeName}`,
          where,
        );
      }
      return existing;
    }
    const payload = m.payload();
    if (!payload) throw codegenError("CODEGEN_UNSUPPORTED", `message ${name} has no payload schema`, where);
    const headers = m.headers();
    const model: MessageModel = {
      typeName,
      name,
      title: m.title(),
      summary: m.summary(),
      description: m.description(),
      payload: schemas.addRoot(payload.json() as JsonSchema, where, `payload of ${name}`),
      headers: headers
        ? schemas.addRoot(headers.json() as JsonSchema, where, `headers of ${name}`)
        : undefined,
      examples: m
        .examples()
        .all()
        .map((e): MessageExample => ({ name: e.name(), payload: e.payload(), headers: e.headers() })),
      location: where,
    };
    messages.set(typeName, model);
    return model;
  };

  const operations = document
    .operations()
    .all()
    .map((op): OperationModel => {
      const where = at(op.meta().pointer);
      const id = op.id();
      if (!id) throw codegenError("CODEGEN_CONTRACT_INVALID", "an operation has no id", where);
      const [channel] = op.channels().all();
      if (!channel)
        throw codegenError("CODEGEN_CONTRACT_INVALID", `operation ${op.id()} has no channel`, where);
      const reply = op.reply();
      const replyChannel = reply?.channel();
      const raw = op.json() as { title?: string };
      return {
        id,
        action: op.action() as "send" | "receive",
        title: raw.title,
        summary: op.summary(),
        channel: channelModel(channel, at),
        messages: operationMessages(op).map(message),
        reply: reply
          ? {
              channel: replyChannel ? channelModel(replyChannel, at) : undefined,
              messages: reply.messages().all().map(message),
            }
          : undefined,
        location: where,
      };
    });

  const info = document.info();
  return {
    service: contract.service,
    typeName: pascalCase(contract.service),
    title: info.title(),
    version: info.version(),
    description: info.description(),
    file: contract.file,
    hash: contract.hash,
    schemas: schemas.all(),
    messages: [...messages.values()],
    operations,
  };
}

/** An operation without a `messages` list carries every message of its channel (AsyncAPI 3 semantics). */
function operationMessages(op: OperationInterface): MessageInterface[] {
  const own = op.messages().all();
  if (own.length > 0) return own;
  return op.channels().all()[0]?.messages().all() ?? [];
}

function channelModel(
  channel: ChannelInterface,
  at: (pointer: string | undefined) => SourceLocation,
): ChannelModel {
  const binding = channel.bindings().get("amqp")?.value() as Record<string, unknown> | undefined;
  const address = channel.address();
  if (!address) {
    throw codegenError(
      "CODEGEN_UNSUPPORTED",
      `channel ${channel.id()} has no address; AMQP channels need a queue or routing key`,
      at(channel.meta().pointer),
    );
  }
  let queue: QueueModel | undefined;
  let exchange: ChannelModel["exchange"];
  if (binding?.is === "routingKey") {
    const ex = (binding.exchange ?? {}) as Record<string, unknown>;
    exchange = {
      name: String(ex.name ?? ""),
      type: String(ex.type ?? "direct"),
      durable: ex.durable !== false,
    };
  } else {
    const q = (binding?.queue ?? {}) as Record<string, unknown>;
    queue = {
      name: String(q.name ?? address),
      durable: q.durable !== false,
      exclusive: q.exclusive === true,
      autoDelete: q.autoDelete === true,
      arguments: Object.fromEntries(
        Object.keys(q)
          .filter((key) => key.startsWith("x-"))
          .sort()
          .map((key) => [key, q[key]]),
      ),
    };
  }
  return { id: channel.id(), address, queue, exchange };
}
