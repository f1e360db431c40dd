import type { JsonSchema, NamedSchema } from "../model/service-model.js";

/** One row of a payload table: a property as a reader needs it. */
export interface FieldRow {
  readonly name: string;
  readonly type: string;
  /** Anchor of the named schema the type refers to, when it does. */
  readonly link: string | null;
  readonly required: boolean;
  readonly constraints: string;
  readonly description: string;
}

const CONSTRAINTS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "pattern",
  "format",
  "const",
];

export function schemaAnchor(service: string, schema: string): string {
  return `${service}--schema-${schema}`;
}

/** Describes a schema's type in a few words: `integer`, `OrderItem[]`, `"a" | "b"`. */
export function typeText(schema: JsonSchema | undefined): { text: string; ref: string | null } {
  if (!schema) return { text: "any", ref: null };
  const ref = typeof schema.$ref === "string" ? schema.$ref.replace("#/$defs/", "") : null;
  if (ref) return { text: ref, ref };
  if (Array.isArray(schema.enum))
    return { text: schema.enum.map((v) => JSON.stringify(v)).join(" | "), ref: null };
  if (schema.type === "array") {
    const items = typeText(schema.items as JsonSchema | undefined);
    return { text: `${items.text}[]`, ref: items.ref };
  }
  return {
    text: Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any"),
    ref: null,
  };
}

export function constraintsText(schema: JsonSchema | undefined): string {
  if (!schema) return "";
  const own = CONSTRAINTS.filter((k) => schema[k] !== undefined).map(
    (k) => `${k}: ${JSON.stringify(schema[k])}`,
  );
  const items = schema.type === "array" ? constraintsText(schema.items as JsonSchema | undefined) : "";
  return [...own, ...(items ? [`items ${items}`] : [])].join(", ");
}

/** The rows of a named object schema; empty for other kinds. */
export function fieldRows(service: string, named: NamedSchema): FieldRow[] {
  const properties = (named.schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((named.schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) => {
    const type = typeText(schema);
    return {
      name,
      type: type.text,
      link: type.ref ? schemaAnchor(service, type.ref) : null,
      required: required.has(name),
      constraints: constraintsText(schema),
      description: typeof schema.description === "string" ? schema.description : "",
    };
  });
}
