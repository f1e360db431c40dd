import type { JsonSchema, NamedSchema } from "../model/service-model.js";

/** A schema with `$ref: "#/$defs/X"` resolvable against the named schemas of its model. */
export interface SchemaContext {
  readonly defs: ReadonlyMap<string, NamedSchema>;
}

export function resolve(
  schema: unknown,
  context: SchemaContext,
  seen = new Set<string>(),
): JsonSchema | undefined {
  if (schema === null || typeof schema !== "object") return undefined;
  const ref = (schema as JsonSchema).$ref;
  if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
    const name = ref.slice("#/$defs/".length);
    if (seen.has(name)) return undefined; // recursion: compared once
    seen.add(name);
    return context.defs.get(name)?.schema;
  }
  return schema as JsonSchema;
}

/** The name of the named schema at this place, when it is one (used to locate it in its file). */
export function refName(schema: unknown): string | undefined {
  const ref = (schema as JsonSchema | undefined)?.$ref;
  return typeof ref === "string" && ref.startsWith("#/$defs/") ? ref.slice("#/$defs/".length) : undefined;
}

/** JSON types a schema admits; `integer` is a subset of `number`. */
export function typesOf(schema: JsonSchema): Set<string> {
  const type = schema.type;
  if (Array.isArray(type)) return new Set(type as string[]);
  if (typeof type === "string") return new Set([type]);
  return new Set(["any"]);
}

/** Whether every value of `narrow` types is also of `wide` types. */
export function typesWithin(narrow: Set<string>, wide: Set<string>): boolean {
  if (wide.has("any")) return true;
  if (narrow.has("any")) return false;
  return [...narrow].every((t) => wide.has(t) || (t === "integer" && wide.has("number")));
}
