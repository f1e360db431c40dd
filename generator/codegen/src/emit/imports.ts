/**
 * Collects the imports (and type re-exports) of one generated file, so templates never write an import line: each
 * name is added where it is used, and the lines come out merged per module, sorted, `import type` when every name is
 * a type. Modules: packages first, then other folders (`../`), then this folder (`./`), each alphabetically.
 */
export class Imports {
  readonly #names = new Map<string, Map<string, "type" | "value">>();
  readonly #typeExports = new Map<string, Set<string>>();

  /** A value import wins over a type import of the same name (the value and the type merge under one name). */
  add(module: string, name: string, kind: "type" | "value"): this {
    const names = this.#names.get(module) ?? new Map<string, "type" | "value">();
    if (names.get(name) !== "value") names.set(name, kind);
    this.#names.set(module, names);
    return this;
  }

  /** `export type { name } from module`: a type declared elsewhere that this file's module offers too. */
  reexportType(module: string, name: string): this {
    this.#typeExports.set(module, (this.#typeExports.get(module) ?? new Set()).add(name));
    return this;
  }

  /** The `import` lines. */
  lines(): string[] {
    return sortedModules(this.#names.keys()).map((module) => {
      const names = [...this.#names.get(module)!].sort(([a], [b]) => compare(a, b));
      const allTypes = names.every(([, kind]) => kind === "type");
      const list = names.map(([name, kind]) => (kind === "type" && !allTypes ? `type ${name}` : name));
      return `import ${allTypes ? "type " : ""}{ ${list.join(", ")} } from ${JSON.stringify(module)};`;
    });
  }

  /** The `export type { ... } from` lines. */
  exportLines(): string[] {
    return sortedModules(this.#typeExports.keys()).map(
      (module) =>
        `export type { ${[...this.#typeExports.get(module)!].sort(compare).join(", ")} } from ${JSON.stringify(module)};`,
    );
  }
}

function sortedModules(modules: Iterable<string>): string[] {
  const rank = (m: string) => (m.startsWith("./") ? 2 : m.startsWith("../") ? 1 : 0);
  return [...modules].sort((a, b) => rank(a) - rank(b) || compare(a, b));
}

/** Case-insensitive first (`send`, `SendOptions`), as people sort imports; then by code unit, so it is total. */
function compare(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
