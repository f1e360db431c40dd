import { referencedNames, type SchemaFolder } from "../model/schema-homes.js";
import type { ServiceModel } from "../model/service-model.js";
import { banner } from "./banner.js";
import { channelsView } from "./channels.js";
import { clientView } from "./client.js";
import { formatJavaScript, formatTypeScript } from "./format.js";
import type { GeneratedFile } from "./generated-file.js";
import { handlersView } from "./handlers.js";
import { skippedOperations } from "./operations-view.js";
import { docLines, render } from "./templates.js";
import { Imports } from "./imports.js";
import { declaredSchemas, renderTypes } from "./types.js";
import { renderValidators, validatorName } from "./validators.js";

/** What a folder's artifacts are rendered from: its schemas (own and imported), and its contract when it has one. */
interface FolderInput {
  readonly folder: SchemaFolder;
  /** The contract, for a service folder; the shared folder has none (and no messages). */
  readonly model: ServiceModel | undefined;
  /** What the banner cites: the contract (or the shared files) and its hash. */
  readonly source: { readonly file: string; readonly hash: string };
}

/**
 * One artifact of an output folder: a view model plus a template (or a library's output). An artifact that has
 * nothing to say for a folder (no client for a service that sends nothing) renders undefined and is skipped.
 */
interface Artifact {
  readonly file: string;
  readonly exportLine: string | undefined;
  render(input: FolderInput, note: (line: string) => void): Promise<string | undefined>;
}

/** A Handlebars-rendered TypeScript file; the banner is added to every view. */
function templated(file: string, view: (input: FolderInput) => object | undefined): Artifact["render"] {
  return async (input) => {
    const data = view(input);
    return data && formatTypeScript(render(file, { banner: banner(input.source), ...data }));
  };
}

/** A file of a service folder only, from its contract. */
function ofService(
  view: (model: ServiceModel) => object | undefined,
): (input: FolderInput) => object | undefined {
  return (input) => (input.model ? view(input.model) : undefined);
}

/** Where a schema's type and validator come from, seen from `folder`: its own files or another folder's. */
function moduleOf(folder: SchemaFolder, schema: string, file: "messages" | "validators"): string {
  const home = folder.imports.get(schema);
  return home === undefined ? `./${file}.js` : `../${home}/${file}.js`;
}

/**
 * messages.ts: the types the folder declares, the types it imports (re-exported, so a folder offers every type its
 * messages use), and one MessageSpec per message.
 */
async function messagesView(input: FolderInput): Promise<object> {
  const { folder } = input;
  const messages = input.model?.messages ?? [];
  const imports = new Imports();
  if (messages.length > 0) imports.add("@asyncgen/runtime", "MessageSpec", "type");
  const validator = (schema: string) => {
    imports.add(moduleOf(folder, schema, "validators"), validatorName(schema), "value");
    return validatorName(schema);
  };
  const useType = (schema: string) => {
    if (folder.imports.has(schema)) imports.add(moduleOf(folder, schema, "messages"), schema, "type");
  };
  for (const schema of declaredSchemas(folder)) referencedNames(schema.schema).forEach(useType);
  for (const [schema] of folder.imports) imports.reexportType(moduleOf(folder, schema, "messages"), schema);
  const views = messages.map((m) => {
    useType(m.payload);
    return {
      typeName: m.typeName,
      name: m.name,
      payloadType: m.payload,
      validatePayload: validator(m.payload),
      validateHeaders: m.headers ? validator(m.headers) : null,
      doc: docLines(
        [m.title, m.summary].filter(Boolean).join(": ") || m.name,
        m.description,
        `Wire type \`${m.name}\`.`,
      ),
    };
  });
  return {
    imports: imports.lines(),
    reexports: imports.exportLines(),
    types: await renderTypes(folder),
    typesComment: input.model
      ? "Payload and header types, one per named schema of the contract."
      : "Schemas written in files that are not contracts, declared once for every contract that uses them.",
    messages: views,
  };
}

const ARTIFACTS: readonly Artifact[] = [
  {
    file: "contract.ts",
    exportLine: 'export * from "./contract.js";',
    render: templated(
      "contract.ts",
      ofService((model) => ({
        service: model.service,
        title: model.title,
        version: model.version,
        file: model.file,
        hash: model.hash,
        ...queueLists(model),
      })),
    ),
  },
  {
    file: "messages.ts",
    exportLine: 'export * from "./messages.js";',
    render: async (input, note) => {
      const view = await messagesView(input);
      return templated("messages.ts", () => view)(input, note);
    },
  },
  {
    file: "validators.js",
    exportLine: undefined,
    // A folder that declares no schema (it imports every one) has no validators of its own.
    render: async ({ folder, source }, note) =>
      declaredSchemas(folder).length === 0
        ? undefined
        : formatJavaScript(`${banner(source)}\n\n${renderValidators(folder, source.file, note)}`),
  },
  {
    file: "validators.d.ts",
    exportLine: 'export * as validators from "./validators.js";',
    render: templated("validators.d.ts", ({ folder }) => {
      const validators = declaredSchemas(folder).map((s) => ({
        name: validatorName(s.name),
        schema: s.name,
      }));
      if (validators.length === 0) return undefined;
      return { imports: new Imports().add("@asyncgen/runtime", "Validator", "type").lines(), validators };
    }),
  },
  {
    file: "channels.ts",
    exportLine: 'export * from "./channels.js";',
    render: templated("channels.ts", ofService(channelsView)),
  },
  {
    file: "client.ts",
    exportLine: 'export * from "./client.js";',
    render: templated("client.ts", ofService(clientView)),
  },
  {
    file: "handlers.ts",
    exportLine: 'export * from "./handlers.js";',
    render: templated("handlers.ts", ofService(handlersView)),
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
  folder: SchemaFolder,
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
  return emitFolder({ folder, model, source: model }, note);
}

/** The shared folder (model/schema-homes.ts): types and validators of schemas written outside the contracts. */
export async function emitSharedFolder(
  folder: SchemaFolder,
  source: { readonly file: string; readonly hash: string },
  note: (line: string) => void,
): Promise<GeneratedFile[]> {
  return emitFolder({ folder, model: undefined, source }, note);
}

async function emitFolder(input: FolderInput, note: (line: string) => void): Promise<GeneratedFile[]> {
  const rendered = await Promise.all(
    ARTIFACTS.map(async (artifact) => ({ artifact, content: await artifact.render(input, note) })),
  );
  const present = rendered.filter(
    (r): r is { artifact: Artifact; content: string } => r.content !== undefined,
  );
  const index = await formatTypeScript(
    render("index.ts", {
      banner: banner(input.source),
      exports: present.flatMap((r) => (r.artifact.exportLine ? [r.artifact.exportLine] : [])),
    }),
  );
  const dir = input.folder.folder;
  return [
    ...present.map((r) => ({ path: `${dir}/${r.artifact.file}`, content: r.content })),
    { path: `${dir}/index.ts`, content: index },
  ];
}
