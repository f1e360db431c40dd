import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { buildGraph } from "../diff/graph.js";
import type { GeneratedFile } from "../emit/generated-file.js";
import type { LoadedContract } from "../load/load-contracts.js";
import { buildServiceModel } from "../model/build-model.js";
import type { ServiceModel } from "../model/service-model.js";
import { flowSvg, type FlowArrow } from "./flow-svg.js";
import { fieldRows, schemaAnchor, typeText } from "./schema-table.js";

// HTML templates escape by default (unlike the code templates); the SVG is the one pre-escaped block.
const handlebars = Handlebars.create();
/** Contract descriptions are Markdown (AsyncAPI's CommonMark); inline code is all ours use, so that is rendered. */
handlebars.registerHelper(
  "markdown",
  (text: unknown) =>
    new Handlebars.SafeString(
      // Odd pieces between backticks are code; every piece is escaped on its own (escaping turns ` into &#x60;).
      String(text ?? "")
        .split(/`([^`]+)`/)
        .map((piece, i) => {
          const escaped = Handlebars.Utils.escapeExpression(piece);
          return i % 2 === 1 ? `<code>${escaped}</code>` : escaped;
        })
        .join(""),
    ),
);
const page = handlebars.compile(
  readFileSync(new URL("../../src/templates/docs/index.html.hbs", import.meta.url), "utf8"),
  { strict: true },
);

/**
 * One static HTML page documenting the whole contract set: the saga's message flow, who sends and receives every
 * message, and per service its queues, operations, messages (payload tables, examples) and schemas. No script, no
 * network: everything is in the page.
 */
export function buildDocs(contracts: readonly LoadedContract[]): GeneratedFile[] {
  const models = contracts.map(buildServiceModel);
  const graph = buildGraph(contracts, models);
  const view = {
    flow: new Handlebars.SafeString(flowSvg(...flow(models, graph))),
    messages: [...graph.messages.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((m) => ({
        name: m.name,
        title: m.message.title ?? "",
        owner: m.owner,
        senders: [...m.senders].sort().join(", "),
        receivers: [...m.receivers].sort().join(", "),
        queues: [...m.queues].sort().join(", "),
        anchor: `${m.owner}--message-${m.message.typeName}`,
      })),
    services: models.map((model) => serviceView(model)),
  };
  return [{ path: "docs/index.html", content: page(view) }];
}

function serviceView(model: ServiceModel) {
  const queues = new Map<string, { name: string; durable: boolean; arguments: string }>();
  for (const op of model.operations) {
    const consumed = op.action === "receive" ? op.channel.queue : op.reply?.channel?.queue;
    if (consumed)
      queues.set(consumed.name, {
        name: consumed.name,
        durable: consumed.durable,
        arguments: JSON.stringify(consumed.arguments),
      });
  }
  return {
    id: model.service,
    title: model.title,
    version: model.version,
    description: model.description ?? "",
    file: model.file,
    fileName: model.file.split("/").pop() ?? model.file,
    queues: [...queues.values()],
    operations: model.operations.map((op) => ({
      id: op.id,
      action: op.action,
      title: op.title ?? "",
      summary: op.summary ?? "",
      queue: op.channel.queue?.name ?? op.channel.address,
      messages: op.messages.map((m) => ({ name: m.name, anchor: `${model.service}--message-${m.typeName}` })),
      replies: (op.reply?.messages ?? []).map((m) => ({
        name: m.name,
        anchor: `${model.service}--message-${m.typeName}`,
      })),
      replyQueue: op.reply?.channel?.queue?.name ?? "",
    })),
    messages: model.messages.map((m) => {
      const payload = typeText({ $ref: `#/$defs/${m.payload}` });
      return {
        anchor: `${model.service}--message-${m.typeName}`,
        name: m.name,
        title: m.title ?? "",
        summary: m.summary ?? "",
        description: m.description ?? "",
        payload: payload.text,
        payloadLink: schemaAnchor(model.service, m.payload),
        headers: m.headers ?? "",
        headersLink: m.headers ? schemaAnchor(model.service, m.headers) : "",
        examples: m.examples.map((e) => ({ name: e.name ?? "", json: JSON.stringify(e.payload, null, 2) })),
      };
    }),
    schemas: model.schemas.map((s) => ({
      anchor: schemaAnchor(model.service, s.name),
      name: s.name,
      description: s.description ?? "",
      kind: s.schema.type === "object" ? "object" : typeText(s.schema).text,
      open: s.schema.type === "object" && s.schema.additionalProperties !== false,
      fields: fieldRows(model.service, s),
    })),
  };
}

/** Lifelines and arrows of every orchestrating contract's send operations, in contract order. */
function flow(
  models: readonly ServiceModel[],
  graph: ReturnType<typeof buildGraph>,
): [string[], FlowArrow[]] {
  const lanes: string[] = [];
  const lane = (service: string) => void (lanes.includes(service) || lanes.push(service));
  const arrows: FlowArrow[] = [];
  for (const model of models) {
    for (const op of model.operations.filter((o) => o.action === "send" && o.reply)) {
      lane(model.service);
      const compensation = /compensat/i.test(`${op.title ?? ""} ${op.summary ?? ""}`);
      for (const message of op.messages) {
        for (const receiver of graph.messages.get(message.name)?.receivers ?? []) {
          lane(receiver);
          arrows.push({
            from: model.service,
            to: receiver,
            label: message.name,
            kind: compensation ? "compensation" : "command",
          });
          for (const reply of op.reply?.messages ?? []) {
            arrows.push({
              from: receiver,
              to: model.service,
              label: reply.name.replace(`${message.name}.`, "… "),
              kind: reply.name.endsWith(".failure") ? "failure" : "success",
            });
          }
        }
      }
    }
  }
  return [lanes, arrows];
}
