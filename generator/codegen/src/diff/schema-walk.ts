import type { JsonSchema, NamedSchema } from "../model/service-model.js";

/** The named schemas a `$ref: "#/$defs/X"` of one service model resolves against. */
export interface SchemaContext {
  readonly defs: ReadonlyMap<string, JsonSchema>;
}

export function schemaContext(schemas: readonly Pick<NamedSchema, "name" | "schema">[]): SchemaContext {
  return { defs: new Map(schemas.map((s): [string, JsonSchema] => [s.name, s.schema])) };
}

/** The schema itself, or the named schema its `$ref` points to; undefined for boolean or missing schemas. */
export function resolve(schema: unknown, context: SchemaContext): JsonSchema | undefined {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return undefined;
  const name = refName(schema);
  return name === undefined ? (schema as JsonSchema) : context.defs.get(name);
}

/** The name of the named schema at this place, when it is one (used to locate it in its file). */
export function refName(schema: unknown): string | undefined {
  const ref = (schema as JsonSchema | undefined)?.$ref;
  return typeof ref === "string" && ref.startsWith("#/$defs/") ? ref.slice("#/$defs/".length) : undefined;
}

/** JSON types a schema admits; `any` when it says none. */
export function typesOf(schema: JsonSchema): Set<string> {
  const type = schema.type;
  if (Array.isArray(type)) return new Set(type as string[]);
  if (typeof type === "string") return new Set([type]);
  return new Set(["any"]);
}

/** Whether every value of the `narrow` types is also of the `wide` types (`integer` is within `number`). */
export function typesWithin(narrow: ReadonlySet<string>, wide: ReadonlySet<string>): boolean {
  if (wide.has("any")) return true;
  if (narrow.has("any")) return false;
  return [...narrow].every((t) => wide.has(t) || (t === "integer" && wide.has("number")));
}

/** Both at once, or either alone. */
export function combine<E extends "narrows" | "widens" | "both" | "none">(x: E, y: E): E {
  if (x === "none") return y;
  if (y === "none" || x === y) return x;
  return "both" as E;
}
