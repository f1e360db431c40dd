import type { ServiceModel } from "../model/service-model.js";
import { banner } from "./banner.js";
import { formatJavaScript, formatTypeScript } from "./format.js";
import type { GeneratedFile } from "./generated-file.js";
import { docLines, render } from "./templates.js";
import { renderTypes } from "./types.js";
import { renderValidators, validatorName } from "./validators.js";

/**
 * One artifact of a service folder. Each is a view model plus a template (or a library's output), so new artifacts
 * (client stubs, handler skeletons, topology) slot in as one more entry.
 */
interface Artifact {
  readonly file: string;
  readonly exportLine: string | undefined;
  render(model: ServiceModel): Promise<string>;
}

const ARTIFACTS: readonly Artifact[] = [
  {
    file: "messages.ts",
    exportLine: 'export * from "./messages.js";',
    render: async (model) =>
      formatTypeScript(
        render("messages.ts", {
          banner: banner(model),
          types: await renderTypes(model),
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
        }),
      ),
  },
  {
    file: "validators.js",
    exportLine: undefined,
    render: async (model) => formatJavaScript(`${banner(model)}\n\n${renderValidators(model)}`),
  },
  {
    file: "validators.d.ts",
    exportLine: 'export * as validators from "./validators.js";',
    render: async (model) =>
      formatTypeScript(
        render("validators.d.ts", {
          banner: banner(model),
          validators: model.schemas.map((s) => ({ name: validatorName(s.name), schema: s.name })),
        }),
      ),
  },
];

/** Every file of `generated/<service>/`, in a stable order. */
export async function emitService(model: ServiceModel): Promise<GeneratedFile[]> {
  const files = await Promise.all(
    ARTIFACTS.map(async (artifact) => ({
      path: `${model.service}/${artifact.file}`,
      content: await artifact.render(model),
    })),
  );
  const index = await formatTypeScript(
    render("index.ts", {
      banner: banner(model),
      exports: ARTIFACTS.flatMap((a) => (a.exportLine ? [a.exportLine] : [])),
      service: model.service,
      title: model.title,
      version: model.version,
      file: model.file,
      hash: model.hash,
    }),
  );
  return [...files, { path: `${model.service}/index.ts`, content: index }];
}
