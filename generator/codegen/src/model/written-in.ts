import path from "node:path";
import type { YamlSource } from "../load/yaml-source.js";

/** More `$ref` hops than any real document needs: a cycle of references, not a schema. */
const MAX_HOPS = 64;

/**
 * The file a schema is written in: follows the pointer `place` (`#/channels/c/messages/m/payload`) from `file`
 * through the raw YAML, jumping along every `$ref` (local or into another file) on the way, and returns the file
 * of the node it ends at. Undefined when the pointer leaves the YAML (a path the parser invented) or cycles.
 */
export function writtenIn(
  sources: ReadonlyMap<string, YamlSource>,
  file: string,
  place: string,
): string | undefined {
  // A place is built from the raw keys (not escaped); a `$ref`'s pointer is escaped (RFC 6901, URI encoding).
  const found = walk(sources, file, place.replace(/^#/, "").split("/").filter(Boolean), 0);
  if (!found) return undefined;
  // A Multi Format Schema wraps the schema; the schema itself may be elsewhere.
  const wrapper = found.node as { schemaFormat?: unknown; schema?: unknown } | null;
  if (isObject(wrapper) && typeof wrapper.schemaFormat === "string" && isObject(wrapper.schema))
    return follow(sources, found.file, wrapper.schema, 0)?.file;
  return found.file;
}

interface Found {
  readonly file: string;
  readonly node: unknown;
}

function walk(
  sources: ReadonlyMap<string, YamlSource>,
  file: string,
  parts: readonly string[],
  hops: number,
): Found | undefined {
  let at: Found | undefined = { file, node: sources.get(file)?.data };
  for (const part of parts) {
    at = follow(sources, at.file, at.node, hops);
    if (!at || at.node === null || typeof at.node !== "object" || !Object.hasOwn(at.node, part))
      return undefined;
    at = { file: at.file, node: (at.node as Record<string, unknown>)[part] };
  }
  return follow(sources, at.file, at.node, hops);
}

/** A `$ref` node stands for its target; anything else for itself. */
function follow(
  sources: ReadonlyMap<string, YamlSource>,
  file: string,
  node: unknown,
  hops: number,
): Found | undefined {
  if (!isObject(node) || typeof node.$ref !== "string") return { file, node };
  if (hops >= MAX_HOPS) return undefined;
  const [target = "", pointer = ""] = node.$ref.split("#");
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // remote: not one of the contract's files
  const next =
    target === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(target)));
  if (!sources.has(next)) return undefined;
  const parts = pointerSegments(pointer);
  return parts && walk(sources, next, parts, hops + 1);
}

function pointerSegments(pointer: string): string[] | undefined {
  try {
    return pointer
      .split("/")
      .filter((part) => part.length > 0)
      .map((part) => decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~"));
  } catch {
    return undefined; // a malformed escape: the parser reports the reference itself
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
