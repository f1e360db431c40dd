import { isDeepStrictEqual } from "node:util";
import { codegenError, type SourceLocation } from "../errors.js";
import { schemaName } from "./names.js";
import type { JsonSchema, NamedSchema } from "./service-model.js";

/** Keywords whose value is one sub-schema, a list of them, or a map of them. Everything else is copied as data. */
const ONE_SCHEMA = new Set([
  "additionalProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "unevaluatedItems",
  "unevaluatedProperties",
  "additionalItems",
]);
const SCHEMA_LIST = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
const SCHEMA_MAP = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);

/**
 * Collects the named schemas of one service. Every object, enum or null schema must be named (a title or a component
 * key): it becomes a type. Named sub-schemas are replaced by `$ref`s into `$defs`, which keeps recursion finite and
 * lets ajv share one function per type.
 */
export class SchemaRegistry {
  readonly #byName = new Map<string, NamedSchema>();
  readonly #converting = new Set<object>();

  /** Registers a payload or headers schema; returns its name. `where` locates errors in the contract. */
  addRoot(root: JsonSchema, where: SourceLocation, role: string): string {
    const name = schemaName(root);
    if (!name) {
      throw codegenError(
        "CODEGEN_ANONYMOUS_SCHEMA",
        `the ${role} schema has no name: give it a \`title\` (a component key names it only inside its own file)`,
        where,
      );
    }
    this.#named(root, name, where);
    return name;
  }

  all(): NamedSchema[] {
    return [...this.#byName.values()];
  }

  #named(node: JsonSchema, name: string, where: SourceLocation): void {
    if (this.#converting.has(node)) return; // a recursive reference to a schema being converted
    this.#converting.add(node);
    const converted = this.#body(node, where, name);
    this.#converting.delete(node);
    const existing = this.#byName.get(name);
    if (existing && !isDeepStrictEqual(existing.schema, converted)) {
      throw codegenError(
        "CODEGEN_NAME_COLLISION",
        `two different schemas are named ${name}; rename one (title or component key)`,
        where,
      );
    }
    const description = typeof node.description === "string" ? node.description : undefined;
    this.#byName.set(name, { name, schema: converted, description });
  }

  #sub(node: unknown, where: SourceLocation, path: string): unknown {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return node; // boolean schemas
    const schema = node as JsonSchema;
    const name = schemaName(schema);
    if (name) {
      this.#named(schema, name, where);
      return { $ref: `#/$defs/${name}` };
    }
    if (needsName(schema)) {
      throw codegenError(
        "CODEGEN_ANONYMOUS_SCHEMA",
        `the schema at ${path} is an ${schema.enum ? "enum" : "object"} without a name: give it a title`,
        where,
      );
    }
    if (this.#converting.has(schema)) {
      throw codegenError("CODEGEN_UNSUPPORTED", `recursive schema at ${path} has no name`, where);
    }
    this.#converting.add(schema);
    const body = this.#body(schema, where, path);
    this.#converting.delete(schema);
    return body;
  }

  #body(node: JsonSchema, where: SourceLocation, path: string): JsonSchema {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-")) continue; // AsyncAPI/parser annotations; ajv strict mode rejects them
      if (ONE_SCHEMA.has(key) || (key === "items" && !Array.isArray(value))) {
        out[key] = this.#sub(value, where, `${path}/${key}`);
      } else if (SCHEMA_LIST.has(key) || key === "items") {
        out[key] = (value as unknown[]).map((item, index) =>
          this.#sub(item, where, `${path}/${key}/${index}`),
        );
      } else if (SCHEMA_MAP.has(key)) {
        out[key] = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([k, v]) => [
            k,
            this.#sub(v, where, `${path}/${key}/${k}`),
          ]),
        );
      } else {
        out[key] = structuredClone(value);
      }
    }
    return out;
  }
}

function needsName(schema: JsonSchema): boolean {
  return schema.type === "object" || schema.properties !== undefined || schema.enum !== undefined;
}
