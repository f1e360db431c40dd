import type { YamlSource } from "../load/yaml-source.js";

interface Candidate {
  readonly key: string;
  readonly raw: Record<string, unknown>;
}

/**
 * Finds the component key of a schema that another file of the contract declares under `components.schemas`.
 * The parser inlines such schemas with an anonymous id, so they are recognised by shape: the parsed schema equals the
 * file's schema, with each `$ref` standing for whatever it resolved to. Several equal candidates: the first file
 * (by path), then the first key, wins, so the answer never depends on parse order.
 */
export class ComponentKeys {
  readonly #bySignature = new Map<string, Candidate[]>();
  readonly #found = new WeakMap<object, string | undefined>();

  constructor(sources: ReadonlyMap<string, YamlSource>) {
    for (const file of [...sources.keys()].sort()) {
      const schemas = (sources.get(file)!.data as { components?: { schemas?: unknown } } | null)?.components
        ?.schemas;
      if (!isObject(schemas)) continue;
      for (const key of Object.keys(schemas).sort()) {
        const raw = schemas[key];
        if (!isObject(raw) || typeof raw.$ref === "string") continue; // an alias: its target names itself
        const signature = signatureOf(raw);
        this.#bySignature.set(signature, [...(this.#bySignature.get(signature) ?? []), { key, raw }]);
      }
    }
  }

  keyOf = (schema: object): string | undefined => {
    if (this.#found.has(schema)) return this.#found.get(schema);
    const parsed = schema as Record<string, unknown>;
    const key = this.#bySignature.get(signatureOf(parsed))?.find((c) => sameShape(c.raw, parsed))?.key;
    this.#found.set(schema, key);
    return key;
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function ownKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((k) => !k.startsWith("x-parser-"));
}

function signatureOf(schema: Record<string, unknown>): string {
  return ownKeys(schema).sort().join("\0");
}

function sameShape(raw: unknown, parsed: unknown, depth = 0): boolean {
  if (depth > 64) return true; // a recursive schema: equal so far
  if (isObject(raw) && typeof raw.$ref === "string") return isObject(parsed);
  if (Array.isArray(raw)) {
    return (
      Array.isArray(parsed) &&
      raw.length === parsed.length &&
      raw.every((item, i) => sameShape(item, parsed[i], depth + 1))
    );
  }
  if (isObject(raw)) {
    if (!isObject(parsed)) return false;
    const keys = ownKeys(parsed);
    if (keys.length !== Object.keys(raw).length) return false;
    return keys.every((k) => k in raw && sameShape(raw[k], parsed[k], depth + 1));
  }
  return raw === parsed;
}
