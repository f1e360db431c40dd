import type { JsonSchema } from "../model/service-model.js";
import { refName, resolve, typesOf, typesWithin, type SchemaContext } from "./schema-walk.js";

/**
 * What a schema change does to the set of valid messages: `narrows` (the new schema rejects some data the old one
 * accepted), `widens` (it accepts data the old one rejected), `both`, or `none`. Which of these breaks whom depends
 * on who owns the message (see rules.ts).
 */
export type Effect = "narrows" | "widens" | "both" | "none";

export interface SchemaChange {
  readonly rule: string;
  readonly effect: Effect;
  /** Where in the payload (or headers), e.g. `/items/[]/quantity`. */
  readonly path: string;
  readonly detail: string;
  /** The nearest named schema and the path inside it, to locate the change in its file. */
  readonly schema: string | undefined;
  readonly schemaPath: readonly string[];
}

const LOWER_BOUNDS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const UPPER_BOUNDS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
const EXACT = ["pattern", "format", "const", "multipleOf"];

interface Place {
  readonly path: string;
  readonly schema: string | undefined;
  readonly schemaPath: readonly string[];
}

/** Compares two schemas of one message part; every change is reported once, at the deepest place it happens. */
export function diffSchemas(
  oldRoot: unknown,
  newRoot: unknown,
  oldContext: SchemaContext,
  newContext: SchemaContext,
  rules: { readonly removed: string; readonly requiredAdded: string } = {
    removed: "field-removed",
    requiredAdded: "field-required-added",
  },
): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const seen = new Set<string>();

  const walk = (oldNode: unknown, newNode: unknown, place: Place): void => {
    const named = refName(newNode) ?? refName(oldNode);
    const here: Place = named ? { path: place.path, schema: named, schemaPath: [] } : place;
    const key = `${here.path}|${named ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    const a = resolve(oldNode, oldContext);
    const b = resolve(newNode, newContext);
    if (!a || !b) return;
    const add = (rule: string, effect: Effect, detail: string, sub: readonly string[] = [], field?: string) =>
      changes.push({
        rule,
        effect,
        path: field === undefined ? here.path || "/" : `${here.path}/${field}`,
        detail,
        schema: here.schema,
        schemaPath: [...here.schemaPath, ...sub],
      });

    const oldTypes = typesOf(a);
    const newTypes = typesOf(b);
    const narrower = typesWithin(newTypes, oldTypes);
    const wider = typesWithin(oldTypes, newTypes);
    if (!(narrower && wider)) {
      add(
        "type-changed",
        narrower ? "narrows" : wider ? "widens" : "both",
        `type ${[...oldTypes].join("|")} -> ${[...newTypes].join("|")}`,
        ["type"],
      );
    }

    compareEnum(a, b, add);
    compareConstraints(a, b, add);

    const oldProps = (a.properties ?? {}) as Record<string, unknown>;
    const newProps = (b.properties ?? {}) as Record<string, unknown>;
    const oldRequired = new Set((a.required ?? []) as string[]);
    const newRequired = new Set((b.required ?? []) as string[]);
    const oldClosed = a.additionalProperties === false;
    const newClosed = b.additionalProperties === false;
    if (!oldClosed && newClosed)
      add("additional-properties-closed", "narrows", "additionalProperties is now false", [
        "additionalProperties",
      ]);
    if (oldClosed && !newClosed)
      add("additional-properties-opened", "widens", "additionalProperties is no longer false", [
        "additionalProperties",
      ]);

    for (const field of Object.keys(oldProps)) {
      if (field in newProps) continue;
      const effect = combine(newClosed ? "narrows" : "none", oldRequired.has(field) ? "widens" : "none");
      add(
        rules.removed,
        effect,
        `field ${field} removed${oldRequired.has(field) ? " (it was required)" : ""}`,
        ["properties"],
        field,
      );
    }
    for (const field of Object.keys(newProps)) {
      const sub = ["properties", field];
      if (!(field in oldProps)) {
        if (newRequired.has(field))
          add(
            rules.requiredAdded,
            combine("narrows", oldClosed ? "widens" : "none"),
            `required field ${field} added`,
            sub,
            field,
          );
        else add("field-added", oldClosed ? "widens" : "none", `optional field ${field} added`, sub, field);
        continue;
      }
      if (newRequired.has(field) && !oldRequired.has(field))
        add(rules.requiredAdded, "narrows", `field ${field} is now required`, sub, field);
      if (!newRequired.has(field) && oldRequired.has(field))
        add("field-made-optional", "widens", `field ${field} is no longer required`, sub, field);
      walk(oldProps[field], newProps[field], {
        path: `${here.path}/${field}`,
        schema: here.schema,
        schemaPath: [...here.schemaPath, ...sub],
      });
    }
    if (
      a.items !== undefined &&
      b.items !== undefined &&
      !Array.isArray(a.items) &&
      !Array.isArray(b.items)
    ) {
      walk(a.items, b.items, {
        path: `${here.path}/[]`,
        schema: here.schema,
        schemaPath: [...here.schemaPath, "items"],
      });
    }
  };

  walk(oldRoot, newRoot, { path: "", schema: undefined, schemaPath: [] });
  return changes;
}

type Add = (rule: string, effect: Effect, detail: string, sub?: readonly string[]) => void;

function compareEnum(a: JsonSchema, b: JsonSchema, add: Add): void {
  if (!Array.isArray(a.enum) && !Array.isArray(b.enum)) return;
  const oldValues = Array.isArray(a.enum) ? a.enum.map((v) => JSON.stringify(v)) : undefined;
  const newValues = Array.isArray(b.enum) ? b.enum.map((v) => JSON.stringify(v)) : undefined;
  const removed = oldValues ? oldValues.filter((v) => !newValues || !newValues.includes(v)) : [];
  const added = newValues ? newValues.filter((v) => !oldValues || !oldValues.includes(v)) : [];
  if (!oldValues) add("constraint-tightened", "narrows", `enum ${newValues!.join(", ")} added`, ["enum"]);
  else if (!newValues) add("constraint-loosened", "widens", "enum removed", ["enum"]);
  else {
    if (removed.length > 0)
      add("enum-value-removed", "narrows", `enum value(s) ${removed.join(", ")} removed`, ["enum"]);
    if (added.length > 0)
      add("enum-value-added", "widens", `enum value(s) ${added.join(", ")} added`, ["enum"]);
  }
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
    if (JSON.stringify(o) === JSON.stringify(n)) continue;
    if (o === undefined) add("constraint-tightened", "narrows", `${key} ${JSON.stringify(n)} added`, [key]);
    else if (n === undefined)
      add("constraint-loosened", "widens", `${key} ${JSON.stringify(o)} removed`, [key]);
    else add("constraint-changed", "both", `${key} ${JSON.stringify(o)} -> ${JSON.stringify(n)}`, [key]);
  }
}

function combine(x: Effect, y: Effect): Effect {
  if (x === "none") return y;
  if (y === "none" || x === y) return x;
  return "both";
}
