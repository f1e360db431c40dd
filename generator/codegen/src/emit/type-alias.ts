import type { JsonSchema } from "../model/service-model.js";

/**
 * The TypeScript type of a schema Modelina renders no declaration for (a primitive, `{}`, a union, a tuple, a
 * nullable or constant value). Object members are Modelina's job; an object reached here is a record.
 */
export function typeExpression(schema: unknown): string {
  if (schema === true || schema === undefined) return "unknown";
  if (schema === false) return "never";
  if (schema === null || typeof schema !== "object") return "unknown";
  const s = schema as JsonSchema;
  if (typeof s.$ref === "string") return s.$ref.replace(/^#\/\$defs\//, "");
  if ("const" in s) return literal(s.const);
  if (Array.isArray(s.enum)) return union(s.enum.map(literal));
  const parts: string[] = [];
  if (Array.isArray(s.oneOf)) parts.push(union(s.oneOf.map(typeExpression)));
  if (Array.isArray(s.anyOf)) parts.push(union(s.anyOf.map(typeExpression)));
  if (Array.isArray(s.allOf))
    parts.push(s.allOf.map((p) => wrap(typeExpression(p))).join(" & ") || "unknown");
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];
  // `type: object` beside a composition says what the alternatives are; it adds nothing to their types.
  if (parts.length > 0 && types.length === 1 && types[0] === "object") types.length = 0;
  if (types.length > 0) parts.push(union(types.map((t) => ofType(t, s))));
  if (parts.length === 0) return "unknown";
  return parts.length === 1 ? parts[0]! : parts.map(wrap).join(" & ");
}

function ofType(type: string, s: JsonSchema): string {
  switch (type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const tuple = Array.isArray(s.prefixItems)
        ? s.prefixItems
        : Array.isArray(s.items)
          ? s.items
          : undefined;
      if (tuple) {
        // Draft 7 tuples: `items` is the list and `additionalItems` the rest; 2020-12: `prefixItems` and `items`.
        const rest = Array.isArray(s.prefixItems) ? s.items : s.additionalItems;
        const items = tuple.map(typeExpression);
        if (rest !== false) items.push(`...${wrap(typeExpression(rest))}[]`);
        return `[${items.join(", ")}]`;
      }
      return `${wrap(typeExpression(s.items))}[]`;
    }
    case "object":
      return "Record<string, unknown>";
    default:
      return "unknown";
  }
}

function literal(value: unknown): string {
  return value === null || typeof value !== "object" ? (JSON.stringify(value) ?? "unknown") : "unknown";
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  return unique.includes("unknown") ? "unknown" : unique.join(" | ") || "never";
}

function wrap(type: string): string {
  return /^[\w.[\]"'-]+$/.test(type) || type.startsWith("[") ? type : `(${type})`;
}
