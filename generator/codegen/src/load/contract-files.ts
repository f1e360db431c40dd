import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CodegenError, codegenError, type Problem } from "../errors.js";
import { collectRefs } from "./refs.js";
import { YamlSource } from "./yaml-source.js";

/** The AsyncAPI versions the generator reads: every version @asyncapi/parser 3.6 validates of the 3.x line. */
export const SUPPORTED_ASYNCAPI_VERSIONS: readonly string[] = ["3.0.0", "3.1.0"];

/** A contract's files as text: the contract and every local file it references, with their joint hash. */
export interface ContractFileSet {
  /** Service name (see serviceName), e.g. `restaurant-service`; the output folder's name. */
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
    const problems: Problem[] = [];
    this.#readTree(absolutePath, sources, problems);
    const display = this.displayPath(absolutePath);
    const contract = sources.get(display);
    if (contract) problems.unshift(...versionProblems(contract));
    // Every problem of every file of the contract at once, not the first one found.
    if (problems.length > 0) throw new CodegenError(problems);
    const hash = createHash("sha256");
    for (const name of [...sources.keys()].sort())
      hash.update(name).update("\0").update(sources.get(name)!.text);
    return {
      service: serviceName(absolutePath, contract),
      file: display,
      absolutePath,
      hash: hash.digest("hex"),
      sources,
    };
  }

  /**
   * Reads a file and, transitively, the local files its `$ref`s name. Problems (unreadable, bad YAML, remote or
   * missing targets) are collected, so one run reports all of them.
   */
  #readTree(absolute: string, into: Map<string, YamlSource>, problems: Problem[]): void {
    const display = this.displayPath(absolute);
    if (into.has(display)) return;
    let source = this.#cache.get(display);
    if (!source) {
      try {
        source = YamlSource.parse(display, readText(absolute, display));
      } catch (error) {
        if (!(error instanceof CodegenError)) throw error;
        problems.push(...error.problems);
        return;
      }
      this.#cache.set(display, source);
    }
    into.set(display, source);
    for (const ref of collectRefs(source.data)) {
      if (/^https?:\/\//i.test(ref.target)) {
        if (this.#allowRemoteRefs) continue;
        problems.push({
          code: "CODEGEN_REMOTE_REF",
          message: `remote $ref ${ref.target} is not fetched; pass --allow-remote-refs to allow it`,
          location: source.locate(ref.path),
        });
        continue;
      }
      const target = ref.target.split("#")[0] ?? "";
      if (target === "") continue;
      const next = path.resolve(path.dirname(absolute), decodeURI(target));
      if (!existsSync(next)) {
        // A missing file is reported where it is referenced.
        problems.push({
          code: "CODEGEN_UNRESOLVED_REF",
          message: `$ref ${ref.target}: file not found`,
          location: source.locate(ref.path),
        });
        continue;
      }
      this.#readTree(next, into, problems);
    }
  }
}

/** An AsyncAPI document (a contract), as opposed to a file that only holds parts for others to `$ref`. */
export function isAsyncApiDocument(data: unknown): boolean {
  return data !== null && typeof data === "object" && "asyncapi" in data;
}

/**
 * A contract's service name: `info.x-asyncgen-service` when set; else the file name without `.yaml` (and without
 * `.asyncapi`); a file named `asyncapi.yaml` is named after its folder.
 */
export function serviceName(absolutePath: string, contract: YamlSource | undefined): string {
  const info = (contract?.data as { info?: Record<string, unknown> } | null)?.info;
  const declared = info?.["x-asyncgen-service"];
  if (typeof declared === "string" && declared.length > 0) return declared;
  const stem = path.basename(absolutePath).replace(/\.(asyncapi\.)?ya?ml$/, "");
  return stem === "asyncapi" ? path.basename(path.dirname(absolutePath)) : stem;
}

/** Two contracts that would write the same output folder: CODEGEN_NAME_COLLISION at the second, naming both. */
export function serviceNameProblems(
  sets: readonly Pick<ContractFileSet, "service" | "file" | "sources">[],
): Problem[] {
  const first = new Map<string, Pick<ContractFileSet, "file">>();
  const problems: Problem[] = [];
  for (const set of sets) {
    const earlier = first.get(set.service);
    if (!earlier) {
      first.set(set.service, set);
      continue;
    }
    problems.push({
      code: "CODEGEN_NAME_COLLISION",
      message:
        `${earlier.file} and ${set.file} are both the service ${set.service}; rename a file or folder, or set ` +
        "info.x-asyncgen-service in one of them",
      location: set.sources.get(set.file)!.locate(["info"]),
    });
  }
  return problems;
}

function readText(absolute: string, display: string): string {
  try {
    return readFileSync(absolute, "utf8");
  } catch (error) {
    throw codegenError("CODEGEN_IO", `cannot read: ${(error as Error).message}`, {
      file: display,
      line: 1,
      column: 1,
    });
  }
}

function versionProblems(contract: YamlSource): Problem[] {
  const version = (contract.data as { asyncapi?: unknown } | null)?.asyncapi;
  if (typeof version === "string" && SUPPORTED_ASYNCAPI_VERSIONS.includes(version)) return [];
  return [
    {
      code: "CODEGEN_UNSUPPORTED_VERSION",
      message: `AsyncAPI version ${JSON.stringify(version ?? null)} is not supported; asyncgen reads AsyncAPI ${SUPPORTED_ASYNCAPI_VERSIONS.join(" and ")}`,
      location: contract.locate(["asyncapi"]),
    },
  ];
}
