import { isDeepStrictEqual } from "node:util";
import type { Problem, SourceLocation } from "../errors.js";
import { ownName, typeName, type NameOrigin } from "./names.js";
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
/** AsyncAPI Schema keywords that JSON Schema (and ajv's strict mode) does not know; annotations only. */
const ASYNCAPI_ONLY = new Set(["discriminator", "example", "externalDocs", "xml"]);

/** Where a schema stands: the message it belongs to (for file:line:col) and a pointer-like place inside it. */
export interface SchemaSite {
  readonly where: SourceLocation;
  readonly place: string;
}

/**
 * Collects the named schemas of one service. Every payload and header schema, and every object or enum schema
 * inside one, becomes a named type: its title, else its component key, else a name derived from where it stands
 * (`<Message>Payload`, then `<Parent><Property>`, `<Parent>Item`, `<Parent>Option<N>`). Named sub-schemas are
 * replaced by `$ref`s into `$defs`, which keeps recursion finite and lets ajv share one function per type. The
 * same schema object always gets the same name. Two different schemas with one name are a CODEGEN_NAME_COLLISION
 * naming both places; problems are collected, not thrown.
 */
export class SchemaRegistry {
  readonly problems: Problem[] = [];
  readonly #byName = new Map<string, Omit<NamedSchema, "file">>();
  readonly #nameOf = new Map<object, string>();
  readonly #componentKey: (schema: object) => string | undefined;
  readonly #resolve: (ref: string) => unknown;

  /**
   * `componentKey` finds the key of a schema declared in another file; `resolve` follows a `$ref` the parser left in
   * place (a recursive one, e.g. `#/channels/tree/messages/node/payload`) to the schema it points at.
   */
  constructor(
    componentKey: (schema: object) => string | undefined = () => undefined,
    resolve: (ref: string) => unknown = () => undefined,
  ) {
    this.#componentKey = componentKey;
    this.#resolve = resolve;
  }

  /** Registers a payload or headers schema; returns its name (`fallback` when the schema names none). */
  addRoot(root: JsonSchema, fallback: string, site: SchemaSite): string {
    const own = ownName(root, this.#componentKey);
    return this.#named(root, own ?? { name: typeName(fallback), origin: "derived" }, site);
  }

  all(): Omit<NamedSchema, "file">[] {
    return [...this.#byName.values()];
  }

  #named(node: JsonSchema, name: { name: string; origin: NameOrigin }, site: SchemaSite): string {
    const known = this.#nameOf.get(node);
    if (known !== undefined) return known;
    this.#nameOf.set(node, name.name); // before converting: a recursive reference finds it
    const converted = this.#body(node, name.name, site);
    const existing = this.#byName.get(name.name);
    if (existing) {
      if (!isDeepStrictEqual(existing.schema, converted)) {
        this.problems.push({
          code: "CODEGEN_NAME_COLLISION",
          message:
            `two different schemas are both named ${name.name}: ${existing.place} and ${site.place}; ` +
            "give one a `title` (or another component key)",
          location: site.where,
        });
      }
      return name.name;
    }
    const description = typeof node.description === "string" ? node.description : undefined;
    this.#byName.set(name.name, {
      name: name.name,
      schema: converted,
      description,
      origin: name.origin,
      place: site.place,
      location: site.where,
    });
    return name.name;
  }

  #sub(node: unknown, parent: string, suffix: string, site: SchemaSite): unknown {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return node; // boolean schemas
    let schema = node as JsonSchema;
    if (typeof schema.$ref === "string") {
      const target = this.#resolve(schema.$ref);
      if (target === null || typeof target !== "object") {
        this.problems.push({
          code: "CODEGEN_UNRESOLVED_REF",
          message: `$ref ${schema.$ref} at ${site.place} points at no schema`,
          location: site.where,
        });
        return {};
      }
      schema = target as JsonSchema;
    }
    const own = ownName(schema, this.#componentKey);
    const known = this.#nameOf.get(schema);
    if (own || known !== undefined || needsName(schema)) {
      const name = own ?? { name: known ?? typeName(`${parent}${suffix}`), origin: "derived" as const };
      return { $ref: `#/$defs/${this.#named(schema, name, site)}` };
    }
    return this.#body(schema, `${parent}${suffix}`, site);
  }

  #body(node: JsonSchema, name: string, site: SchemaSite): JsonSchema {
    const at = (part: string): SchemaSite => ({ where: site.where, place: `${site.place}/${part}` });
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      // AsyncAPI/parser annotations and AsyncAPI-only keywords; ajv's strict mode rejects them.
      if (key.startsWith("x-") || ASYNCAPI_ONLY.has(key)) continue;
      if (ONE_SCHEMA.has(key) || (key === "items" && !Array.isArray(value))) {
        out[key] = this.#sub(value, name, key === "items" ? "Item" : pascalKey(key), at(key));
      } else if (SCHEMA_LIST.has(key) || key === "items") {
        out[key] = (value as unknown[]).map((item, index) =>
          this.#sub(
            item,
            name,
            `${key === "items" || key === "prefixItems" ? "Item" : "Option"}${index + 1}`,
            at(`${key}/${index}`),
          ),
        );
      } else if (SCHEMA_MAP.has(key)) {
        out[key] = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([k, v]) => [
            k,
            this.#sub(
              v,
              name,
              key === "properties" ? pascalKey(k) : `${pascalKey(key)}${pascalKey(k)}`,
              at(`${key}/${k}`),
            ),
          ]),
        );
      } else {
        out[key] = structuredClone(value);
      }
    }
    return out;
  }
}

function pascalKey(key: string): string {
  return typeName(key).replace(/^_/, "");
}

function needsName(schema: JsonSchema): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return (
    types.includes("object") ||
    schema.properties !== undefined ||
    schema.enum !== undefined ||
    schema.allOf !== undefined ||
    schema.oneOf !== undefined ||
    schema.anyOf !== undefined
  );
}
