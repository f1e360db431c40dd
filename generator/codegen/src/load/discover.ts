import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { codegenError } from "../errors.js";

/**
 * The service contracts of a folder: its top-level `*.yaml`/`*.yml` files, and every `asyncapi.yaml`/`asyncapi.yml`
 * in its subfolders (one service per folder, e.g. `social-media/comments-service/asyncapi.yaml`). Other files in
 * subfolders are shared parts that contracts `$ref`.
 */
export function discoverContracts(dir: string): string[] {
  if (!existsSync(dir)) {
    throw codegenError("CODEGEN_NO_CONTRACTS", `contracts folder ${dir} does not exist`, {
      file: dir,
      line: 1,
      column: 1,
    });
  }
  const files = [
    ...readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map((entry) => path.join(dir, entry.name)),
    ...nestedContracts(dir),
  ].sort();
  if (files.length === 0) {
    throw codegenError("CODEGEN_NO_CONTRACTS", `no *.yaml contracts in ${dir}`, {
      file: dir,
      line: 1,
      column: 1,
    });
  }
  return files;
}

/** `asyncapi.yaml` files below the top level of `dir`, skipping `node_modules` and dot folders. */
function nestedContracts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules")
    .flatMap((entry) => {
      const sub = path.join(dir, entry.name);
      const own = readdirSync(sub, { withFileTypes: true })
        .filter((e) => e.isFile() && /^asyncapi\.ya?ml$/.test(e.name))
        .map((e) => path.join(sub, e.name));
      return [...own, ...nestedContracts(sub)];
    });
}
