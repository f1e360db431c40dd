import { readFileSync } from "node:fs";
import { transformSync } from "esbuild";

/**
 * A TypeScript module of this package as JavaScript for the browser: types stripped by esbuild (already installed
 * for tsx), once, at the first request. Only for modules that import nothing but types (charts.ts); the page loads
 * it from the service itself, so the dashboard works offline.
 */
export function browserModule(file: URL): () => string {
  let code: string | undefined;
  return () =>
    (code ??= transformSync(readFileSync(file, "utf8"), {
      loader: "ts",
      format: "esm",
      target: "es2022",
      sourcefile: file.pathname,
    }).code);
}
