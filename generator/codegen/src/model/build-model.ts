import type {
  AsyncAPIDocumentInterface,
  ChannelInterface,
  MessageInterface,
  OperationInterface,
} from "@asyncapi/parser";
import { CodegenError, type Problem, type SourceLocation } from "../errors.js";
import type { LoadedContract } from "../load/load-contracts.js";
import { ComponentKeys } from "./component-keys.js";
import { methodName, typeName } from "./names.js";
import { SchemaRegistry } from "./schemas.js";
import { writtenIn } from "./written-in.js";
import type {
  ChannelModel,
  ChannelParameter,
  JsonSchema,
  MessageExample,
  MessageModel,
  OperationModel,
  QueueModel,
  ServiceModel,
} from "./service-model.js";

/**
 * Turns a parsed contract into the generator's model. Every problem of the contract is collected and reported
 * together (one CodegenError), so a run shows all of them, not the first.
 */
export function buildServiceModel(contract: LoadedContract): ServiceModel {
  const { document } = contract;
  const source = contract.sources.get(contract.file)!;
  const at = (pointer: string | undefined): SourceLocation =>
    source.locate(
      (pointer ?? "")
        .split("/")
        .filter((part) => part.length > 0)
        .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~")),
    );
  const problems: Problem[] = [];
  const schemas = new SchemaRegistry(new ComponentKeys(contract.sources).keyOf, (ref) =>
    resolvePointer(document.json(), ref),
  );
  const messages = new Map<string, MessageModel>();
  const messageOf = new Map<unknown, MessageModel>();

  // Where each message is declared: its component, else its channel, rather than the operation that `$ref`s it.
  const declared = new Map<unknown, string>();
  for (const m of [
    ...document.components().messages().all(),
    ...document
      .channels()
      .all()
      .flatMap((c) => c.messages().all()),
  ]) {
    const pointer = m.meta().pointer;
    if (pointer && !declared.has(m.json())) declared.set(m.json(), pointer);
  }

  const message = (m: MessageInterface): MessageModel => {
    const known = messageOf.get(m.json());
    if (known) return known;
    const pointer = declared.get(m.json()) ?? m.meta().pointer ?? `/components/messages/${m.id()}`;
    const where = at(pointer);
    const tsName = typeName(m.id());
    // A message without `name` travels as its id: the component key or channel message key it stands under.
    const name = m.name() ?? m.id();
    const existing = messages.get(tsName);
    if (existing) {
      if (existing.name !== name) {
        problems.push({
          code: "CODEGEN_NAME_COLLISION",
          message:
            `messages ${existing.name} (${formatAt(existing.location)}) and ${name} would both be called ` +
            `${tsName}; rename one of their keys`,
          location: where,
        });
      }
      return existing;
    }
    const site = (part: string) => ({ where, place: `#${pointer}/${part}` });
    const payload = unwrapSchema(m.payload()?.json());
    const headers = unwrapSchema(m.headers()?.json());
    const model: MessageModel = {
      typeName: tsName,
      name,
      title: m.title(),
      summary: m.summary(),
      description: m.description(),
      // No payload: the message may carry anything; its type is `unknown`.
      payload: schemas.addRoot(payload ?? {}, `${tsName}Payload`, site("payload")),
      headers: headers ? schemas.addRoot(headers, `${tsName}Headers`, site("headers")) : undefined,
      examples: m
        .examples()
        .all()
        .map((e): MessageExample => ({ name: e.name(), payload: e.payload(), headers: e.headers() })),
      location: where,
    };
    messages.set(tsName, model);
    messageOf.set(m.json(), model);
    return model;
  };

  const methods = new Map<string, OperationModel>();
  const operations = document
    .operations()
    .all()
    .flatMap((op): OperationModel[] => {
      const where = at(op.meta().pointer);
      const id = op.id() ?? "";
      const [channel] = op.channels().all();
      if (!channel) {
        problems.push({
          code: "CODEGEN_CONTRACT_INVALID",
          message: `operation ${id} has no channel`,
          location: where,
        });
        return [];
      }
      const reply = op.reply();
      const replyChannel = reply?.channel();
      const raw = op.json() as { title?: string };
      const model: OperationModel = {
        id,
        method: methodName(id),
        action: op.action() as "send" | "receive",
        title: raw.title,
        summary: op.summary(),
        channel: channelModel(document, channel, at),
        messages: operationMessages(op).map(message),
        reply: reply
          ? {
              channel: replyChannel ? channelModel(document, replyChannel, at) : undefined,
              address: reply.address()?.location(),
              // Like an operation, a reply without `messages` carries every message of its channel.
              messages: (reply.messages().all().length > 0
                ? reply.messages().all()
                : (replyChannel?.messages().all() ?? [])
              ).map(message),
            }
          : undefined,
        location: where,
      };
      // Only AMQP operations become methods (of the client or the handler interface).
      const clash =
        model.channel.protocol === "amqp" ? methods.get(`${model.action}:${model.method}`) : undefined;
      if (clash) {
        problems.push({
          code: "CODEGEN_NAME_COLLISION",
          message:
            `operations ${clash.id} (${formatAt(clash.location)}) and ${id} would both be the method ` +
            `${model.method}; rename one`,
          location: where,
        });
      } else if (model.channel.protocol === "amqp") methods.set(`${model.action}:${model.method}`, model);
      return [model];
    });

  // Every schema under `components.schemas` becomes a type and a validator, used by a message or not (README,
  // "Schemas that are not messages"): an HTTP body or a stored document can share the contract's definitions.
  for (const schema of document.components().schemas().all()) {
    const pointer = `/components/schemas/${schema.id()}`;
    const json = unwrapSchema(schema.json()) ?? {};
    schemas.addRoot(json, schema.id(), { where: at(pointer), place: `#${pointer}` });
  }

  problems.push(...schemas.problems);
  if (problems.length > 0) throw new CodegenError(problems);
  const info = document.info();
  return {
    service: contract.service,
    typeName: typeName(contract.service),
    title: info.title(),
    version: info.version(),
    description: info.description(),
    file: contract.file,
    hash: contract.hash,
    schemas: schemas.all().map((s) => ({ ...s, file: writtenIn(contract.sources, contract.file, s.place) })),
    messages: [...messages.values()],
    operations,
  };
}

/** A 3.x Multi Format Schema (`{ schemaFormat, schema }`) holds its JSON Schema under `schema`. */
function unwrapSchema(json: unknown): JsonSchema | undefined {
  if (json === null || typeof json !== "object") return json === undefined ? undefined : {};
  const wrapper = json as { schemaFormat?: unknown; schema?: unknown };
  if (
    typeof wrapper.schemaFormat === "string" &&
    wrapper.schema !== null &&
    typeof wrapper.schema === "object"
  )
    return wrapper.schema as JsonSchema;
  return json as JsonSchema;
}

/** The value a local JSON pointer (`#/a/b~1c`) names in the parsed document, if any. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node = root;
  for (const part of ref.slice(2).split("/")) {
    const key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A 3.x parameter lists its allowed values as `enum` (3.0 schema-less parameters). */
function enumOf(parameter: unknown): readonly string[] | undefined {
  const values = (parameter as { enum?: unknown } | null)?.enum;
  return Array.isArray(values) ? values.map(String) : undefined;
}

function formatAt(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** An operation without a `messages` list carries every message of its channel (AsyncAPI 3 semantics). */
function operationMessages(op: OperationInterface): MessageInterface[] {
  const own = op.messages().all();
  if (own.length > 0) return own;
  return op.channels().all()[0]?.messages().all() ?? [];
}

const AMQP = new Set(["amqp", "amqps"]);

/**
 * The protocol a channel travels on: `amqp` when it has an AMQP binding or every server it is on speaks AMQP; else
 * the protocols of its servers (`mqtt`, `kafka`, `ws`, ...), or `none` when the document names no server.
 */
function protocolOf(document: AsyncAPIDocumentInterface, channel: ChannelInterface): string {
  if (channel.bindings().has("amqp")) return "amqp";
  const own = channel.servers().all();
  const servers = own.length > 0 ? own : document.servers().all();
  const protocols = [...new Set(servers.map((s) => s.protocol().toLowerCase()))].sort();
  if (protocols.length > 0 && protocols.every((p) => AMQP.has(p))) return "amqp";
  return protocols.length > 0 ? protocols.join("+") : "none";
}

function channelModel(
  document: AsyncAPIDocumentInterface,
  channel: ChannelInterface,
  at: (pointer: string | undefined) => SourceLocation,
): ChannelModel {
  const protocol = protocolOf(document, channel);
  const address = channel.address() ?? "";
  const parameters = channel
    .parameters()
    .all()
    .map((p): ChannelParameter => ({
      name: p.id(),
      enum: enumOf(p.json()),
      description: p.description(),
    }));
  const base = { id: channel.id(), address, protocol, parameters, location: at(channel.meta().pointer) };
  if (protocol !== "amqp") return { ...base, queue: undefined, exchange: undefined };
  const binding = channel.bindings().get("amqp")?.value() as Record<string, unknown> | undefined;
  if (binding?.is === "routingKey") {
    const ex = (binding.exchange ?? {}) as Record<string, unknown>;
    return {
      ...base,
      queue: undefined,
      exchange: {
        name: String(ex.name ?? ""),
        type: String(ex.type ?? "direct"),
        durable: ex.durable !== false,
      },
    };
  }
  const q = (binding?.queue ?? {}) as Record<string, unknown>;
  const name = typeof q.name === "string" ? q.name : address;
  // A queue needs a name: a channel whose address is decided at run time (`address: null`) has none.
  if (name === "" || parameters.length > 0) return { ...base, queue: undefined, exchange: undefined };
  const queue: QueueModel = {
    name,
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
  return { ...base, queue, exchange: undefined };
}
