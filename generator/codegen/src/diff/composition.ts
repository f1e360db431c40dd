import { isDeepStrictEqual } from "node:util";
import type { JsonSchema } from "../model/service-model.js";
import { ANNOTATIONS, COMPARED, isAnnotation, LOWER_BOUNDS, UPPER_BOUNDS } from "./keywords.js";
import { resolve, typesOf, type SchemaContext } from "./schema-walk.js";

/** The keywords an `allOf` member may carry and still be merged into its parent without changing what is valid. */
const MERGEABLE: ReadonlySet<string> = new Set(
  [...COMPARED, ...ANNOTATIONS].filter(
    (k) => !["allOf", "anyOf", "oneOf", "$defs", "definitions"].includes(k),
  ),
);

/**
 * The schema with the `allOf` members merged into it where the merge is exact (an equivalent rewrite such as
 * `allOf: [{type: integer}, {minimum: 1}]` becomes `{type: integer, minimum: 1}`); members that cannot be merged
 * exactly stay in `allOf`.
 */
export function flattenAllOf(schema: JsonSchema, context: SchemaContext): JsonSchema {
  if (!Array.isArray(schema.allOf)) return schema;
  const { allOf, ...parent } = schema;
  let merged: JsonSchema = parent;
  const kept: unknown[] = [];
  for (const member of allOf as unknown[]) {
    const resolved = resolve(member, context);
    const next = resolved && mergeSchemas(merged, flattenAllOf(resolved, context));
    if (next) merged = next;
    else kept.push(member);
  }
  return kept.length === 0 ? merged : { ...merged, allOf: kept };
}

/** Both schemas at once as one schema, when that is exact; undefined when it is not (or not provably). */
function mergeSchemas(x: JsonSchema, y: JsonSchema): JsonSchema | undefined {
  if ([...Object.keys(x), ...Object.keys(y)].some((k) => !MERGEABLE.has(k) && !k.startsWith("x-")))
    return undefined;
  // additionalProperties sees only its own schema's properties: merging must not show it the other's.
  if (!closedOver(x, y) || !closedOver(y, x)) return undefined;
  const out: Record<string, unknown> = { ...x };
  for (const [key, value] of Object.entries(y)) {
    const mine = out[key];
    if (mine === undefined) out[key] = value;
    else if (isAnnotation(key) || isDeepStrictEqual(mine, value)) continue;
    else if (key === "required" && Array.isArray(mine) && Array.isArray(value))
      out.required = [...new Set([...(mine as string[]), ...(value as string[])])];
    else if (key === "properties") {
      const properties = mergeProperties(mine, value);
      if (!properties) return undefined;
      out.properties = properties;
    } else if (typeof mine === "number" && typeof value === "number" && LOWER_BOUNDS.includes(key))
      out[key] = Math.max(mine, value);
    else if (typeof mine === "number" && typeof value === "number" && UPPER_BOUNDS.includes(key))
      out[key] = Math.min(mine, value);
    else return undefined;
  }
  return out;
}

function closedOver(restricting: JsonSchema, other: JsonSchema): boolean {
  const extra = restricting.additionalProperties;
  if (extra === undefined || extra === true) return true;
  const own = Object.keys((restricting.properties ?? {}) as object);
  return Object.keys((other.properties ?? {}) as object).every((k) => own.includes(k));
}

function mergeProperties(x: unknown, y: unknown): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = { ...(x as Record<string, unknown>) };
  for (const [name, schema] of Object.entries(y as Record<string, unknown>)) {
    if (name in out && !isDeepStrictEqual(out[name], schema)) return undefined;
    out[name] = schema;
  }
  return out;
}

/**
 * Pairs the branches of two versions of a branch list as sets: each old branch with an equivalent new one (in any
 * position), then branches naming the same named schema (compared inside it). What is left was removed or added.
 */
export function matchBranches(
  old: readonly unknown[],
  now: readonly unknown[],
  equivalent: (x: unknown, y: unknown) => boolean,
  nameOf: (branch: unknown) => string | undefined,
): { same: [number, number][]; removed: number[]; added: number[] } {
  const freeNew = new Set(now.keys());
  const unmatched: number[] = [];
  for (const [i, branch] of old.entries()) {
    const j = [...freeNew].find((k) => equivalent(branch, now[k]));
    if (j === undefined) unmatched.push(i);
    else freeNew.delete(j);
  }
  const same: [number, number][] = [];
  const removed: number[] = [];
  for (const i of unmatched) {
    const name = nameOf(old[i]);
    const j = name === undefined ? undefined : [...freeNew].find((k) => nameOf(now[k]) === name);
    if (j === undefined) removed.push(i);
    else {
      freeNew.delete(j);
      same.push([i, j]);
    }
  }
  return { same, removed, added: [...freeNew] };
}

/**
 * Whether no value can match two of these branches, so a oneOf of them is an anyOf: their types do not overlap, or
 * every branch requires one same property with a different constant (a discriminated union).
 */
export function provablyDisjoint(branches: readonly unknown[], context: SchemaContext): boolean {
  const schemas = branches.map((b) => resolve(b, context));
  if (schemas.some((s) => s === undefined)) return false;
  const resolved = (schemas as JsonSchema[]).map((s) => flattenAllOf(s, context));
  const pairs = resolved.flatMap((x, i) =>
    resolved.slice(i + 1).map((y): [JsonSchema, JsonSchema] => [x, y]),
  );
  if (pairs.every(([x, y]) => !typesOverlap(typesOf(x), typesOf(y)))) return true;
  const tags = resolved.map((s) => tagsOf(s, context));
  return [...tags[0]!.keys()].some((property) => {
    const values = tags.map((t) => t.get(property));
    return values.every((v) => v !== undefined) && new Set(values).size === values.length;
  });
}

function typesOverlap(x: ReadonlySet<string>, y: ReadonlySet<string>): boolean {
  if (x.has("any") || y.has("any")) return true;
  const numeric = (s: ReadonlySet<string>) => s.has("integer") || s.has("number");
  return [...x].some((t) => y.has(t)) || (numeric(x) && numeric(y));
}

/** The required properties with one possible value (`const`, or an enum of one), as JSON. */
function tagsOf(schema: JsonSchema, context: SchemaContext): Map<string, string> {
  const required = new Set((schema.required ?? []) as string[]);
  const tags = new Map<string, string>();
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, unknown>)) {
    const resolved = resolve(property, context);
    if (!required.has(name) || !resolved) continue;
    if (resolved.const !== undefined) tags.set(name, JSON.stringify(resolved.const));
    else if (Array.isArray(resolved.enum) && resolved.enum.length === 1)
      tags.set(name, JSON.stringify(resolved.enum[0]));
  }
  return tags;
}
