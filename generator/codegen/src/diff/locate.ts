import type { SourceLocation } from "../errors.js";
import type { YamlSource } from "../load/yaml-source.js";

/** A place in a contract file as a YAML path, so it can be found again in another version of the file. */
export interface Anchor {
  readonly file: string;
  readonly path: readonly (string | number)[];
}

/** What locating needs from a contract graph: its folder and every YAML file of every contract. */
export interface Located {
  /** The contracts folder as shown in locations (relative to the root; "" when it is the root). */
  readonly dir: string;
  readonly files: ReadonlyMap<string, YamlSource>;
}

/** The anchor's location in this graph's files: its deepest existing node (so a removed key gives its parent). */
export function locateIn(graph: Located, anchor: Anchor): SourceLocation | undefined {
  return graph.files.get(anchor.file)?.locate(anchor.path);
}

/** The same file in another graph, whose contracts folder may be elsewhere. */
export function mapAnchor(anchor: Anchor, from: Located, to: Located): Anchor {
  if (from.dir === to.dir) return anchor;
  const prefix = from.dir === "" ? "" : `${from.dir}/`;
  if (!anchor.file.startsWith(prefix)) return anchor;
  const rest = anchor.file.slice(prefix.length);
  return { file: to.dir === "" ? rest : `${to.dir}/${rest}`, path: anchor.path };
}

/**
 * Where each named schema is defined: `components.schemas.<key>` (named by its title, else the key), or an inline
 * schema with a title. The files of one contract, the contract itself first.
 */
export function indexSchemas(sources: Iterable<YamlSource>): Map<string, Anchor> {
  const found = new Map<string, Anchor>();
  const inline: [string, Anchor][] = [];
  for (const source of sources) {
    const data = source.data as { components?: { schemas?: Record<string, unknown> } } | null;
    for (const [key, schema] of Object.entries(data?.components?.schemas ?? {})) {
      const title = (schema as { title?: unknown } | null)?.title;
      const name = typeof title === "string" && title.length > 0 ? title : key;
      if (!found.has(name)) found.set(name, { file: source.file, path: ["components", "schemas", key] });
    }
    collectTitled(source.data, [], (name, path) => inline.push([name, { file: source.file, path }]));
  }
  for (const [name, anchor] of inline) if (!found.has(name)) found.set(name, anchor);
  return found;
}

const SCHEMA_KEYS = ["type", "properties", "enum", "items"];

function collectTitled(
  node: unknown,
  path: (string | number)[],
  found: (name: string, path: (string | number)[]) => void,
): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    node.forEach((item, i) => collectTitled(item, [...path, i], found));
    return;
  }
  const record = node as Record<string, unknown>;
  if (typeof record.title === "string" && SCHEMA_KEYS.some((k) => k in record)) found(record.title, path);
  for (const [key, value] of Object.entries(record)) {
    if (key !== "examples") collectTitled(value, [...path, key], found);
  }
}
