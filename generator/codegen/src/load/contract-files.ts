import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CodegenError, codegenError } from "../errors.js";
import { collectRefs } from "./refs.js";
import { YamlSource } from "./yaml-source.js";

/** The only AsyncAPI version the generator reads. */
export const SUPPORTED_ASYNCAPI_VERSION = "3.0.0";

/** A contract's files as text: the contract and every local file it references, with their joint hash. */
export interface ContractFileSet {
  /** Service name: the file name without extension, e.g. `restaurant-service`. */
  readonly service: string;
  /** The contract's path relative to the root, with `/` separators. */
  readonly file: string;
  readonly absolutePath: string;
  /** sha256 of the contract and every local file it references, in a stable order. */
  readonly hash: string;
  /** Every YAML file involved (the contract first), by display path. */
  readonly sources: ReadonlyMap<string, YamlSource>;
}

/**
 * Reads contracts as YAML without the AsyncAPI parser: syntax errors with positions, the version check, remote
 * `$ref`s refused, and a content hash over every file involved. Cheap, so `--check` can decide from it alone
 * whether anything changed.
 */
export class ContractFiles {
  readonly #root: string;
  readonly #allowRemoteRefs: boolean;
  readonly #cache = new Map<string, YamlSource>();

  constructor(root: string, allowRemoteRefs = false) {
    this.#root = root;
    this.#allowRemoteRefs = allowRemoteRefs;
  }

  displayPath(absolute: string): string {
    return path.relative(this.#root, absolute).split(path.sep).join("/");
  }

  read(file: string): ContractFileSet {
    const absolutePath = path.resolve(this.#root, file);
    const sources = new Map<string, YamlSource>();
    this.#readTree(absolutePath, sources);
    const display = this.displayPath(absolutePath);
    checkVersion(sources.get(display)!);
    const hash = createHash("sha256");
    for (const name of [...sources.keys()].sort())
      hash.update(name).update("\0").update(sources.get(name)!.text);
    return {
      service: path.basename(file).replace(/\.(asyncapi\.)?ya?ml$/, ""),
      file: display,
      absolutePath,
      hash: hash.digest("hex"),
      sources,
    };
  }

  /** Reads a file and, transitively, the local files its `$ref`s name. */
  #readTree(absolute: string, into: Map<string, YamlSource>): void {
    const display = this.displayPath(absolute);
    if (into.has(display)) return;
    let source = this.#cache.get(display);
    if (!source) {
      let text: string;
      try {
        text = readFileSync(absolute, "utf8");
      } catch (error) {
        throw codegenError("CODEGEN_IO", `cannot read: ${(error as Error).message}`, {
          file: display,
          line: 1,
          column: 1,
        });
      }
      source = YamlSource.parse(display, text);
      this.#cache.set(display, source);
    }
    into.set(display, source);
    for (const ref of collectRefs(source.data)) {
      if (/^https?:\/\//i.test(ref.target)) {
        if (this.#allowRemoteRefs) continue;
        throw codegenError(
          "CODEGEN_REMOTE_REF",
          `remote $ref ${ref.target} is not fetched; pass --allow-remote-refs to allow it`,
          source.locate(ref.path),
        );
      }
      const target = ref.target.split("#")[0] ?? "";
      if (target === "") continue;
      const next = path.resolve(path.dirname(absolute), target);
      try {
        this.#readTree(next, into);
      } catch (error) {
        // A missing file is reported where it is referenced.
        if (
          error instanceof CodegenError &&
          error.code === "CODEGEN_IO" &&
          error.problems[0]?.location.file === this.displayPath(next)
        ) {
          throw codegenError(
            "CODEGEN_UNRESOLVED_REF",
            `$ref ${ref.target}: file not found`,
            source.locate(ref.path),
          );
        }
        throw error;
      }
    }
  }
}

function checkVersion(contract: YamlSource): void {
  const version = (contract.data as { asyncapi?: unknown } | null)?.asyncapi;
  if (version !== SUPPORTED_ASYNCAPI_VERSION) {
    throw codegenError(
      "CODEGEN_UNSUPPORTED_VERSION",
      `AsyncAPI version ${JSON.stringify(version ?? null)} is not supported; asyncgen reads AsyncAPI ${SUPPORTED_ASYNCAPI_VERSION}`,
      contract.locate(["asyncapi"]),
    );
  }
}
