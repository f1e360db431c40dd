import { TS_DESCRIPTION_PRESET, TypeScriptGenerator } from "@asyncapi/modelina";
import type { SchemaFolder } from "../model/schema-homes.js";
import type { JsonSchema, NamedSchema } from "../model/service-model.js";
import { typeExpression } from "./type-alias.js";

/** Name of the synthetic union Modelina needs as an entry point; never emitted. */
const ROOT = "AsyncgenRoot";

/**
 * Modelina (pinned 5.10.1) with the options that keep its output wire-faithful: property names exactly as in the
 * contract (no `reservedStatus`), interfaces instead of getter/setter classes, string-literal unions for enums.
 */
const generator = new TypeScriptGenerator({
  modelType: "interface",
  rawPropertyNames: true,
  useJavascriptReservedKeywords: false,
  enumType: "union",
  mapType: "record",
  // Names are valid identifiers already (names.ts); Modelina must not re-case them (`HTTPRequest`).
  constraints: { modelName: ({ modelName }: { modelName: string }) => modelName },
  presets: [TS_DESCRIPTION_PRESET],
});

/**
 * Renders one TypeScript declaration per schema the folder declares, in the folder's order. Modelina sees every
 * schema the folder uses (imported ones too), so a reference to an imported type prints its name.
 */
export async function renderTypes(folder: SchemaFolder): Promise<string[]> {
  const input = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: ROOT,
    $defs: Object.fromEntries(folder.schemas.map((s) => [s.name, forModelina(s)])),
    oneOf: folder.schemas.map((s) => ({ $ref: `#/$defs/${s.name}` })),
  };
  const rendered = new Map<string, string>();
  for (const output of await generator.generate(input)) {
    if (output.modelName !== ROOT) rendered.set(output.modelName, output.result);
  }
  return declaredSchemas(folder).map((schema) => {
    const result = rendered.get(schema.name);
    if (result !== undefined) return exported(withIndexSignature(result, schema));
    if (schema.schema.type === "null")
      return `/** ${schema.description ?? "No data."} */\nexport type ${schema.name} = null;`;
    // Modelina declares objects and enums; anything else (a primitive, a union, a tuple, `{}`) is an alias.
    const doc = schema.description ? `/** ${schema.description.replaceAll("*/", "*\\/")} */\n` : "";
    return `${doc}export type ${schema.name} = ${typeExpression(schema.schema)};`;
  });
}

/**
 * Modelina models an open object as a synthetic `additionalProperties` member, which is not on the wire; close
 * every object for Modelina and add a real index signature afterwards where the contract leaves it open.
 */
function forModelina(named: NamedSchema): JsonSchema {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "examples" || key === "default") continue; // Modelina prints objects here as [object Object]
      out[key] = key === "enum" || key === "const" ? value : strip(value);
    }
    if (out.type === "object" || out.properties !== undefined) out.additionalProperties = false;
    return out;
  };
  return { ...(strip(named.schema) as JsonSchema), title: named.name };
}

/** Modelina renders declarations without `export`; it goes after the doc comment, not before it. */
function exported(declaration: string): string {
  const docEnd = declaration.startsWith("/**") ? declaration.indexOf("*/") + 2 : 0;
  return `${declaration.slice(0, docEnd)}${docEnd > 0 ? "\n" : ""}export ${declaration.slice(docEnd).trimStart()}`;
}

function withIndexSignature(result: string, schema: NamedSchema): string {
  const { type, properties, additionalProperties } = schema.schema;
  const open = (type === "object" || properties !== undefined) && additionalProperties !== false;
  if (!open) return result;
  const end = result.lastIndexOf("}");
  return `${result.slice(0, end)}  /** Further properties the contract allows. */\n  [key: string]: unknown;\n}`;
}

/** The schemas a folder declares itself, in its order. */
export function declaredSchemas(folder: SchemaFolder): NamedSchema[] {
  return folder.schemas.filter((s) => !folder.imports.has(s.name));
}
