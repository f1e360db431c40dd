import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { codegenError } from "../errors.js";
import type { SchemaFolder } from "../model/schema-homes.js";
import { declaredSchemas } from "./types.js";

// ajv-formats and ajv's standalone entry are CommonJS; their ESM default import is the module object.
const require = createRequire(import.meta.url);
const addFormats = require("ajv-formats") as (ajv: Ajv) => Ajv;
const standaloneCode = require("ajv/dist/standalone/index.js") as (
  ajv: Ajv,
  refs: Record<string, string>,
) => string;

/**
 * Options shared by the generated validators and anyone benchmarking against raw ajv. Strict about the schema
 * (an unknown keyword is reported, see below), but not about what JSON Schema allows and ajv's strict mode only
 * frowns upon: union types, `properties` or `required` without `type: object`, tuples without `minItems`.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
} as const;

export function validatorName(schemaName: string): string {
  return `validate${schemaName}`;
}

/**
 * ajv validators compiled at generation time to standalone ESM, one export per schema the folder declares (an
 * imported schema's validator is exported by its own folder; ajv still compiles it here, unexported, when a declared
 * schema refers to it). ajv's standalone output can still `require()` runtime helpers (ucs2length, format
 * functions), so the module gets its own `require` from `createRequire`; that keeps it valid ESM without bundling.
 * `file` is where a schema ajv cannot compile is reported.
 */
export function renderValidators(
  folder: SchemaFolder,
  file: string,
  note: (line: string) => void = () => undefined,
): string {
  const ignored = new Set<string>();
  const ajv = new Ajv({
    ...AJV_OPTIONS,
    // A keyword JSON Schema does not define is ignored (as the standard says), and said once.
    strictSchema: "log",
    logger: {
      log: () => undefined,
      warn: (...args: unknown[]) => void ignored.add(String(args[0]).replace(/^strict mode: /, "")),
      error: (...args: unknown[]) => void ignored.add(String(args[0])),
    },
    code: { source: true, esm: true, lines: true },
  });
  addFormats(ajv);
  const unknownFormats = [...formatsUsed(folder)].filter((f) => !(f in ajv.formats)).sort();
  for (const format of unknownFormats) ajv.addFormat(format, true);
  if (unknownFormats.length > 0) {
    note(
      `${folder.folder}: format ${unknownFormats.map((f) => `"${f}"`).join(", ")} is not checked ` +
        "(ajv-formats does not know it); any string is accepted",
    );
  }
  let code: string;
  try {
    ajv.addSchema({
      $id: "contract",
      $defs: Object.fromEntries(folder.schemas.map((s) => [s.name, s.schema])),
    });
    const exports = Object.fromEntries(
      declaredSchemas(folder).map((s) => [validatorName(s.name), `contract#/$defs/${s.name}`]),
    );
    code = standaloneCode(ajv, exports).replace(/^"use strict";\s*/, "");
  } catch (error) {
    // A schema ajv cannot compile is bad input with a clear message, never an internal error.
    throw codegenError("CODEGEN_UNSUPPORTED", `ajv cannot compile the schemas: ${(error as Error).message}`, {
      file,
      line: 1,
      column: 1,
    });
  }
  if (ignored.size > 0) note(`${folder.folder}: ${[...ignored].sort().join("; ")} (not validated)`);
  const needsRequire = code.includes("require(");
  return [
    needsRequire
      ? 'import { createRequire } from "node:module";\n\nconst require = createRequire(import.meta.url);\n'
      : "",
    code,
  ].join("");
}

/** Every `format` value in the folder's schemas. */
function formatsUsed(folder: SchemaFolder): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "format" && typeof value === "string") found.add(value);
      else if (key !== "enum" && key !== "const" && key !== "examples" && key !== "default") visit(value);
    }
  };
  folder.schemas.forEach((s) => visit(s.schema));
  return found;
}
