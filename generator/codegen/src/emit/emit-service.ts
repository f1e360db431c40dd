import type { ServiceModel } from "../model/service-model.js";
import { banner } from "./banner.js";
import { channelsView } from "./channels.js";
import { clientView } from "./client.js";
import { formatJavaScript, formatTypeScript } from "./format.js";
import type { GeneratedFile } from "./generated-file.js";
import { handlersView } from "./handlers.js";
import { skippedOperations } from "./operations-view.js";
import { docLines, render } from "./templates.js";
import { renderTypes } from "./types.js";
import { renderValidators, validatorName } from "./validators.js";

/**
 * One artifact of a service folder: a view model plus a template (or a library's output). An artifact that has
 * nothing to say for a contract (no client for a service that sends nothing) renders undefined and is skipped.
 */
interface Artifact {
  readonly file: string;
  readonly exportLine: string | undefined;
  render(model: ServiceModel, note: (line: string) => void): Promise<string | undefined>;
}

/** A Handlebars-rendered TypeScript file; the banner is added to every view. */
function templated(file: string, view: (model: ServiceModel) => object | undefined): Artifact["render"] {
  return async (model) => {
    const data = view(model);
    return data && formatTypeScript(render(file, { banner: banner(model), ...data }));
  };
}

const ARTIFACTS: readonly Artifact[] = [
  {
    file: "contract.ts",
    exportLine: 'export * from "./contract.js";',
    render: templated("contract.ts", (model) => ({
      service: model.service,
      title: model.title,
      version: model.version,
      file: model.file,
      hash: model.hash,
      ...queueLists(model),
    })),
  },
  {
    file: "messages.ts",
    exportLine: 'export * from "./messages.js";',
    render: async (model, note) => {
      const types = await renderTypes(model);
      return templated("messages.ts", () => ({
        types,
        messages: model.messages.map((m) => ({
          typeName: m.typeName,
          name: m.name,
          payloadType: m.payload,
          validatePayload: validatorName(m.payload),
          validateHeaders: m.headers ? validatorName(m.headers) : null,
          doc: docLines(
            [m.title, m.summary].filter(Boolean).join(": ") || m.name,
            m.description,
            `Wire type \`${m.name}\`.`,
          ),
        })),
      }))(model, note);
    },
  },
  {
    file: "validators.js",
    exportLine: undefined,
    render: async (model, note) => formatJavaScript(`${banner(model)}\n\n${renderValidators(model, note)}`),
  },
  {
    file: "validators.d.ts",
    exportLine: 'export * as validators from "./validators.js";',
    render: templated("validators.d.ts", (model) => ({
      validators: model.schemas.map((s) => ({ name: validatorName(s.name), schema: s.name })),
    })),
  },
  {
    file: "channels.ts",
    exportLine: 'export * from "./channels.js";',
    render: templated("channels.ts", channelsView),
  },
  {
    file: "client.ts",
    exportLine: 'export * from "./client.js";',
    render: templated("client.ts", clientView),
  },
  {
    file: "handlers.ts",
    exportLine: 'export * from "./handlers.js";',
    render: templated("handlers.ts", handlersView),
  },
];

/** Queue names by role, sorted: consumed (receive operations, replies to sends) and published to. */
function queueLists(model: ServiceModel): { consumes: string[]; publishesTo: string[] } {
  const consumes = new Set<string>();
  const publishesTo = new Set<string>();
  for (const op of model.operations) {
    const own = op.channel.queue?.name;
    const reply = op.reply?.channel?.queue?.name;
    if (op.action === "receive") {
      if (own) consumes.add(own);
      if (reply) publishesTo.add(reply);
    } else {
      if (own) publishesTo.add(own);
      if (reply) consumes.add(reply);
    }
  }
  return { consumes: [...consumes].sort(), publishesTo: [...publishesTo].sort() };
}

/** `a, b, c, d and 7 more`: a note stays one readable line however large the contract. */
function listed(ids: readonly string[]): string {
  return ids.length <= 4 ? ids.join(", ") : `${ids.slice(0, 4).join(", ")} and ${ids.length - 4} more`;
}

/** Every file of `generated/<service>/`, in a stable order. `note` is told what was left out and why. */
export async function emitService(
  model: ServiceModel,
  note: (line: string) => void,
): Promise<GeneratedFile[]> {
  const skipped = skippedOperations(model);
  if (skipped.length > 0) {
    const byReason = new Map<string, string[]>();
    for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.operation.id]);
    note(
      `${model.service}: types and validators only, no client method, handler or queue, for ` +
        [...byReason].map(([reason, ids]) => `${listed(ids)} (${reason})`).join("; ") +
        ": asyncgen generates those for AMQP channels with a queue or exchange",
    );
  }
  const rendered = await Promise.all(
    ARTIFACTS.map(async (artifact) => ({ artifact, content: await artifact.render(model, note) })),
  );
  const present = rendered.filter(
    (r): r is { artifact: Artifact; content: string } => r.content !== undefined,
  );
  const index = await formatTypeScript(
    render("index.ts", {
      banner: banner(model),
      exports: present.flatMap((r) => (r.artifact.exportLine ? [r.artifact.exportLine] : [])),
    }),
  );
  return [
    ...present.map((r) => ({ path: `${model.service}/${r.artifact.file}`, content: r.content })),
    { path: `${model.service}/index.ts`, content: index },
  ];
}
