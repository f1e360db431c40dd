import { isDeepStrictEqual } from "node:util";
import type { JsonSchema } from "../model/service-model.js";
import type { DiffRule, Effect } from "./rules.js";
import { flattenAllOf, matchBranches, provablyDisjoint } from "./composition.js";
import { BRANCH_LISTS, COMPARED, EXACT, LOWER_BOUNDS, UPPER_BOUNDS, isAnnotation } from "./keywords.js";
import { combine, refName, resolve, typesOf, typesWithin, type SchemaContext } from "./schema-walk.js";

/** One structural change between two versions of a message part (payload or headers). */
export interface SchemaChange {
  readonly rule: DiffRule;
  readonly effect: Effect;
  /** Where in the message part, e.g. `/items/[]/quantity` (`/` for the part itself). */
  readonly path: string;
  readonly detail: string;
  /** The nearest named schema (its new name, else its old one) and the path inside it, to locate the change. */
  readonly schema: string | undefined;
  readonly schemaPath: readonly (string | number)[];
}

/** A schema with the named schemas it may `$ref`. */
export interface SchemaSide {
  readonly root: unknown;
  readonly context: SchemaContext;
}

/** The rule ids to use for removed and newly required properties (headers have their own). */
export interface FieldRules {
  readonly removed: DiffRule;
  readonly requiredAdded: DiffRule;
}

const PAYLOAD_RULES: FieldRules = { removed: "field-removed", requiredAdded: "field-required-added" };
interface Place {
  readonly path: string;
  readonly schema: string | undefined;
  readonly schemaPath: readonly (string | number)[];
}

type Add = (
  rule: DiffRule,
  effect: Effect,
  detail: string,
  sub?: readonly (string | number)[],
  field?: string,
) => void;

/**
 * Compares two versions of a schema structurally. Each pair of named schemas is compared once (so recursion ends
 * and a schema used twice is reported once), each change at the deepest place it happens. `seen`: named pairs not
 * to compare again.
 */
export function diffSchemas(
  before: SchemaSide,
  after: SchemaSide,
  rules: FieldRules = PAYLOAD_RULES,
  seen: ReadonlySet<string> = new Set(),
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const compared = new Set<string>(seen);

  const walk = (oldNode: unknown, newNode: unknown, place: Place): void => {
    const oldName = refName(oldNode);
    const newName = refName(newNode);
    const named = newName ?? oldName;
    if (oldName !== undefined && newName !== undefined) {
      const pair = `${oldName}\0${newName}`;
      if (compared.has(pair)) return;
      compared.add(pair);
    }
    const here: Place = named ? { path: place.path, schema: named, schemaPath: [] } : place;
    const add: Add = (rule, effect, detail, sub = [], field) =>
      changes.push({
        rule,
        effect,
        path: field === undefined ? here.path || "/" : `${here.path}/${field}`,
        detail,
        schema: here.schema,
        schemaPath: [...here.schemaPath, ...sub],
      });
    const into = (segment: string, sub: readonly (string | number)[]): Place => ({
      path: `${here.path}/${segment}`,
      schema: here.schema,
      schemaPath: [...here.schemaPath, ...sub],
    });

    const oldSchema = resolve(oldNode, before.context);
    const newSchema = resolve(newNode, after.context);
    if (!oldSchema || !newSchema) {
      // Boolean schemas (or a named schema that is missing): compare as data.
      if (!isDeepStrictEqual(oldSchema ?? oldNode, newSchema ?? newNode))
        add("schema-changed", "both", "schema replaced");
      return;
    }
    const a = flattenAllOf(oldSchema, before.context);
    const b = flattenAllOf(newSchema, after.context);
    // What cannot be compared keyword by keyword is one finding here, with nothing below it that could mislead.
    const branches = compareBranches(a, b);
    const opaque = [
      ...branches.opaque,
      ...[...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
        (key) => !isAnnotation(key) && !COMPARED.has(key) && !isDeepStrictEqual(a[key], b[key]),
      ),
    ];
    if (opaque.length > 0) {
      add("schema-changed", "both", `${opaque.join(", ")} changed (not compared further)`, [opaque[0]!]);
      return;
    }
    for (const change of branches.changes) add(change.rule, change.effect, change.detail, [change.key]);
    for (const { key, pairs } of branches.walks)
      for (const [i, j] of pairs)
        walk((a[key] as unknown[])[i], (b[key] as unknown[])[j], into(`${key}[${j}]`, [key, j]));

    // A type replaced by an unrelated one says it all: the old type's constraints no longer apply.
    if (compareTypes(a, b, add) !== "both") {
      compareEnum(a, b, add);
      compareConstraints(a, b, add);
    }
    if (!isDeepStrictEqual(a.default, b.default))
      add("default-changed", "none", defaultChange(a, b), ["default"]);
    compareObject(a, b, add, into, walk, rules);
    if (isSchema(a.items) && isSchema(b.items)) walk(a.items, b.items, into("[]", ["items"]));
    else if (!isDeepStrictEqual(a.items, b.items)) add("schema-changed", "both", "items changed", ["items"]);
    // Tuple items are positional.
    const x = a.prefixItems;
    const y = b.prefixItems;
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length)
      x.forEach((item, i) => walk(item, y[i], into(`prefixItems[${i}]`, ["prefixItems", i])));
    else if (!isDeepStrictEqual(x, y)) add("schema-changed", "both", "prefixItems changed", ["prefixItems"]);
  };

  /**
   * Two branches are equivalent when comparing them finds nothing; named pairs compared (or being compared) already
   * are taken as they are, so recursive schemas end.
   */
  const equivalent = (x: unknown, y: unknown): boolean =>
    diffSchemas({ root: x, context: before.context }, { root: y, context: after.context }, rules, compared)
      .length === 0;

  /**
   * allOf, anyOf and oneOf as sets of branches. A branch added to anyOf widens and one removed narrows; for oneOf
   * either may do both (a value matching two branches is refused), unless its branches are provably disjoint. Branches naming the same named schema are
   * compared inside it. Anything else (a list added or removed, branches both added and removed, allOf members
   * that are not merged into their parent) is opaque.
   */
  const compareBranches = (a: JsonSchema, b: JsonSchema) => {
    const opaque: string[] = [];
    const changes: { rule: DiffRule; effect: Effect; detail: string; key: string }[] = [];
    const walks: { key: string; pairs: [number, number][] }[] = [];
    for (const key of BRANCH_LISTS) {
      const x = a[key];
      const y = b[key];
      if (x === undefined && y === undefined) continue;
      if (!Array.isArray(x) || !Array.isArray(y)) {
        opaque.push(key);
        continue;
      }
      const { same, removed, added } = matchBranches(x, y, equivalent, refName);
      if (key === "allOf" ? removed.length + added.length > 0 : removed.length > 0 && added.length > 0) {
        opaque.push(key);
        continue;
      }
      walks.push({ key, pairs: same });
      // At most one of them is non-empty here.
      const [rule, effect, count, verb] =
        added.length > 0
          ? (["branch-added", "widens", added.length, "added"] as const)
          : (["branch-removed", "narrows", removed.length, "removed"] as const);
      if (count > 0)
        changes.push({
          rule,
          // A oneOf whose branches are disjoint (as the new list for an addition, the old for a removal) is an anyOf.
          effect:
            key === "oneOf" &&
            !(added.length > 0 ? provablyDisjoint(y, after.context) : provablyDisjoint(x, before.context))
              ? "both"
              : effect,
          detail: `${key}: ${count === 1 ? "1 branch" : `${count} branches`} ${verb}`,
          key,
        });
    }
    return { opaque, changes, walks };
  };

  walk(before.root, after.root, { path: "", schema: undefined, schemaPath: [] });
  return changes;
}

function compareTypes(a: JsonSchema, b: JsonSchema, add: Add): Effect {
  const oldTypes = typesOf(a);
  const newTypes = typesOf(b);
  const narrower = typesWithin(newTypes, oldTypes);
  const wider = typesWithin(oldTypes, newTypes);
  if (narrower && wider) return "none";
  const effect: Effect = narrower ? "narrows" : wider ? "widens" : "both";
  add("type-changed", effect, `type ${[...oldTypes].join("|")} -> ${[...newTypes].join("|")}`, ["type"]);
  return effect;
}

function compareObject(
  a: JsonSchema,
  b: JsonSchema,
  add: Add,
  into: (segment: string, sub: readonly (string | number)[]) => Place,
  walk: (x: unknown, y: unknown, place: Place) => void,
  rules: FieldRules,
): void {
  const oldProps = (a.properties ?? {}) as Record<string, unknown>;
  const newProps = (b.properties ?? {}) as Record<string, unknown>;
  const oldRequired = new Set((a.required ?? []) as string[]);
  const newRequired = new Set((b.required ?? []) as string[]);
  const oldExtra = extraKind(a.additionalProperties);
  const newExtra = extraKind(b.additionalProperties);
  const oldClosed = oldExtra === "closed";
  const newClosed = newExtra === "closed";
  const extra = ["additionalProperties"];
  if (oldExtra !== newExtra) {
    if (newClosed) add("additional-properties-closed", "narrows", "additionalProperties is now false", extra);
    else if (oldClosed)
      add("additional-properties-opened", "widens", "additionalProperties is no longer false", extra);
    else if (newExtra === "schema")
      add("constraint-tightened", "narrows", "additional properties must now match a schema", extra);
    else
      add("constraint-loosened", "widens", "additional properties no longer need to match a schema", extra);
  } else if (oldExtra === "schema") {
    walk(a.additionalProperties, b.additionalProperties, into("*", extra));
  }

  for (const field of Object.keys(oldProps)) {
    if (field in newProps) continue;
    const wasRequired = oldRequired.has(field) && !newRequired.has(field);
    add(
      rules.removed,
      combine<Effect>(newClosed ? "narrows" : "none", wasRequired ? "widens" : "none"),
      `field ${field} removed${oldRequired.has(field) ? " (it was required)" : ""}`,
      ["properties", field],
      field,
    );
  }
  for (const field of Object.keys(newProps)) {
    const at = (rule: DiffRule, effect: Effect, detail: string) =>
      add(rule, effect, detail, ["properties", field], field);
    if (!(field in oldProps)) {
      if (newRequired.has(field))
        at(
          rules.requiredAdded,
          combine<Effect>("narrows", oldClosed ? "widens" : "none"),
          `required field ${field} added`,
        );
      else at("field-added", oldClosed ? "widens" : "none", `optional field ${field} added`);
      continue;
    }
    if (newRequired.has(field) && !oldRequired.has(field))
      at(rules.requiredAdded, "narrows", `field ${field} is now required`);
    if (!newRequired.has(field) && oldRequired.has(field))
      at("field-made-optional", "widens", `field ${field} is no longer required`);
    walk(oldProps[field], newProps[field], into(field, ["properties", field]));
  }
  // Required names without a property definition (open schemas).
  for (const field of newRequired) {
    if (!oldRequired.has(field) && !(field in newProps) && !(field in oldProps))
      add(rules.requiredAdded, "narrows", `field ${field} is now required`, ["required"], field);
  }
  for (const field of oldRequired) {
    if (!newRequired.has(field) && !(field in newProps) && !(field in oldProps))
      add("field-made-optional", "widens", `field ${field} is no longer required`, ["required"], field);
  }
}

function compareEnum(a: JsonSchema, b: JsonSchema, add: Add): void {
  if (!Array.isArray(a.enum) && !Array.isArray(b.enum)) return;
  const oldValues = Array.isArray(a.enum) ? a.enum.map((v) => JSON.stringify(v)) : undefined;
  const newValues = Array.isArray(b.enum) ? b.enum.map((v) => JSON.stringify(v)) : undefined;
  if (!oldValues)
    return add("constraint-tightened", "narrows", `enum [${newValues!.join(", ")}] added`, ["enum"]);
  if (!newValues) return add("constraint-loosened", "widens", "enum removed", ["enum"]);
  const removed = oldValues.filter((v) => !newValues.includes(v));
  const added = newValues.filter((v) => !oldValues.includes(v));
  if (removed.length > 0)
    add("enum-value-removed", "narrows", `enum value(s) ${removed.join(", ")} removed`, ["enum"]);
  if (added.length > 0)
    add("enum-value-added", "widens", `enum value(s) ${added.join(", ")} added`, ["enum"]);
}

function compareConstraints(a: JsonSchema, b: JsonSchema, add: Add): void {
  for (const [keys, tighter] of [
    [LOWER_BOUNDS, (o: number, n: number) => n > o],
    [UPPER_BOUNDS, (o: number, n: number) => n < o],
  ] as const) {
    for (const key of keys) {
      const o = a[key] as number | undefined;
      const n = b[key] as number | undefined;
      if (o === n) continue;
      if (o === undefined) add("constraint-tightened", "narrows", `${key} ${n} added`, [key]);
      else if (n === undefined) add("constraint-loosened", "widens", `${key} ${o} removed`, [key]);
      else if (tighter(o, n)) add("constraint-tightened", "narrows", `${key} ${o} -> ${n}`, [key]);
      else add("constraint-loosened", "widens", `${key} ${o} -> ${n}`, [key]);
    }
  }
  for (const key of EXACT) {
    const o = a[key];
    const n = b[key];
    if (isDeepStrictEqual(o, n)) continue;
    const show = (v: unknown) => JSON.stringify(v);
    if (o === undefined) add("constraint-tightened", "narrows", `${key} ${show(n)} added`, [key]);
    else if (n === undefined) add("constraint-loosened", "widens", `${key} ${show(o)} removed`, [key]);
    else add("constraint-changed", "both", `${key} ${show(o)} -> ${show(n)}`, [key]);
  }
  const oldUnique = a.uniqueItems === true;
  const newUnique = b.uniqueItems === true;
  if (!oldUnique && newUnique) add("constraint-tightened", "narrows", "uniqueItems added", ["uniqueItems"]);
  if (oldUnique && !newUnique) add("constraint-loosened", "widens", "uniqueItems removed", ["uniqueItems"]);
}

function defaultChange(a: JsonSchema, b: JsonSchema): string {
  const show = (v: unknown) => JSON.stringify(v);
  if (a.default === undefined) return `default ${show(b.default)} added`;
  if (b.default === undefined) return `default ${show(a.default)} removed`;
  return `default ${show(a.default)} -> ${show(b.default)}`;
}

function extraKind(value: unknown): "open" | "closed" | "schema" {
  if (value === false) return "closed";
  return isSchema(value) && Object.keys(value).length > 0 ? "schema" : "open";
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
