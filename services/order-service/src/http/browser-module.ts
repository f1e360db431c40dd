import { readFile } from "node:fs/promises";

/**
 * A TypeScript module of this package as JavaScript for the browser: types stripped by esbuild (already installed
 * for tsx), once, at the first request; esbuild is loaded only then, so a service nobody opens the dashboard of
 * never loads it. Only for modules that import nothing but types (charts.ts); the page loads it from the service
 * itself, so the dashboard works offline.
 */
export function browserModule(file: URL): () => Promise<string> {
  let code: Promise<string> | undefined;
  return () =>
    (code ??= (async () => {
      const esbuild = await import("esbuild");
      const source = await readFile(file, "utf8");
      try {
        const options = { loader: "ts", format: "esm", target: "es2022", sourcefile: file.pathname } as const;
        return (await esbuild.transform(source, options)).code;
      } finally {
        // Its helper process is needed for this one transform only.
        await esbuild.stop();
      }
    })());
}
