/** JSON Schema keywords as `asyncgen diff` groups them. */
export const LOWER_BOUNDS = [
  "minimum",
  "exclusiveMinimum",
  "minLength",
  "minItems",
  "minProperties",
  "minContains",
];
export const UPPER_BOUNDS = [
  "maximum",
  "exclusiveMaximum",
  "maxLength",
  "maxItems",
  "maxProperties",
  "maxContains",
];
export const EXACT = ["pattern", "format", "const", "multipleOf"];
/** Lists of alternatives or conjuncts: compared as sets of branches. */
export const BRANCH_LISTS = ["allOf", "anyOf", "oneOf"] as const;

/** Keywords that do not change which messages are valid (and any `x-` extension, see isAnnotation). */
export const ANNOTATIONS: ReadonlySet<string> = new Set([
  "$ref",
  "$id",
  "$schema",
  "$comment",
  "title",
  "description",
  "examples",
  "example",
  "deprecated",
  "readOnly",
  "writeOnly",
  "externalDocs",
  "discriminator",
  // Subschemas used only through a $ref, which is compared where it is used.
  "$defs",
  "definitions",
]);

export function isAnnotation(key: string): boolean {
  return ANNOTATIONS.has(key) || key.startsWith("x-");
}

/** The keywords compared one by one; any other that differs makes the schema opaque (`schema-changed`). */
export const COMPARED: ReadonlySet<string> = new Set([
  "default",
  "type",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "uniqueItems",
  "prefixItems",
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  ...EXACT,
  ...BRANCH_LISTS,
]);
