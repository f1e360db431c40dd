import type { NamedSchema, ServiceModel } from "./service-model.js";

/**
 * A canonical text of a named schema and every named schema it references, so two services' views of one message
 * can be compared even though each inlines its own copy.
 */
export function schemaFingerprint(model: Pick<ServiceModel, "schemas">, name: string): string {
  const byName = new Map(model.schemas.map((s): [string, NamedSchema] => [s.name, s]));
  const seen = new Map<string, unknown>();
  const visit = (schemaName: string): void => {
    if (seen.has(schemaName)) return;
    const schema = byName.get(schemaName)?.schema;
    seen.set(schemaName, schema);
    for (const ref of JSON.stringify(schema ?? null).matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g))
      visit(ref[1]!);
  };
  visit(name);
  return JSON.stringify([...seen.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
