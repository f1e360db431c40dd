/** A `$ref` found in a YAML document: where it is and what it points to. */
export interface RefSite {
  readonly path: readonly (string | number)[];
  readonly target: string;
}

/** Every `$ref` string in a parsed YAML value, in document order. */
export function collectRefs(value: unknown, at: readonly (string | number)[] = []): RefSite[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => collectRefs(item, [...at, index]));
  if (value === null || typeof value !== "object") return [];
  const sites: RefSite[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === "$ref" && typeof child === "string") sites.push({ path: [...at, key], target: child });
    else sites.push(...collectRefs(child, [...at, key]));
  }
  return sites;
}
