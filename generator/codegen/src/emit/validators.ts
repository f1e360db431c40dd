import { createRequire } from "node:module";
import { Ajv } from "ajv";
import type { ServiceModel } from "../model/service-model.js";

// ajv-formats and ajv's standalone entry are CommonJS; their ESM default import is the module object.
const require = createRequire(import.meta.url);
const addFormats = require("ajv-formats") as (ajv: Ajv) => Ajv;
const standaloneCode = require("ajv/dist/standalone/index.js") as (
  ajv: Ajv,
  refs: Record<string, string>,
) => string;

/** Options shared by the generated validators and anyone benchmarking against raw ajv. */
export const AJV_OPTIONS = { allErrors: true, strict: true } as const;

export function validatorName(schemaName: string): string {
  return `validate${schemaName}`;
}

/**
 * ajv validators compiled at generation time to standalone ESM, one export per named schema. ajv's standalone
 * output can still `require()` runtime helpers (ucs2length, format functions), so the module gets its own
 * `require` from `createRequire`; that keeps it valid ESM without bundling.
 */
export function renderValidators(model: ServiceModel): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true, lines: true } });
  addFormats(ajv);
  ajv.addSchema({ $id: "contract", $defs: Object.fromEntries(model.schemas.map((s) => [s.name, s.schema])) });
  const exports = Object.fromEntries(
    model.schemas.map((s) => [validatorName(s.name), `contract#/$defs/${s.name}`]),
  );
  const code = standaloneCode(ajv, exports).replace(/^"use strict";\s*/, "");
  const needsRequire = code.includes("require(");
  return [
    needsRequire
      ? 'import { createRequire } from "node:module";\n\nconst require = createRequire(import.meta.url);\n'
      : "",
    code,
  ].join("");
}
