import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { codegenError } from "../errors.js";

/** The service contracts of a folder: its top-level `*.yaml`/`*.yml` files (shared parts live in subfolders). */
export function discoverContracts(dir: string): string[] {
  if (!existsSync(dir)) {
    throw codegenError("CODEGEN_NO_CONTRACTS", `contracts folder ${dir} does not exist`, {
      file: dir,
      line: 1,
      column: 1,
    });
  }
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(dir, entry.name))
    .sort();
  if (files.length === 0) {
    throw codegenError("CODEGEN_NO_CONTRACTS", `no *.yaml contracts in ${dir}`, {
      file: dir,
      line: 1,
      column: 1,
    });
  }
  return files;
}
