import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DiagnosticSeverity, Parser, fromFile, type AsyncAPIDocumentInterface } from "@asyncapi/parser";
import { CodegenError, codegenError, type Problem } from "../errors.js";
import { YamlSource } from "./yaml-source.js";
import { collectRefs } from "./refs.js";

/** The only AsyncAPI version the generator reads. */
export const SUPPORTED_ASYNCAPI_VERSION = "3.0.0";

export interface LoadOptions {
  /** Paths are shown relative to this folder (the repository root); never absolute, so output is portable. */
  readonly root: string;
  /** Remote (http/https) `$ref`s are refused unless this is set. */
  readonly allowRemoteRefs?: boolean;
}

/** A contract that parsed and validated, with what the generator needs to cite it. */
export interface LoadedContract {
  /** Service name: the file name without extension, e.g. `restaurant-service`. */
  readonly service: string;
  /** Path relative to the root, with `/` separators, e.g. `contracts/restaurant-service.yaml`. */
  readonly file: string;
  /** sha256 of the contract and every local file it references, in a stable order. */
  readonly hash: string;
  readonly document: AsyncAPIDocumentInterface;
  /** Every YAML file involved (the contract first), by display path, to locate findings. */
  readonly sources: ReadonlyMap<string, YamlSource>;
}

export class ContractLoader {
  readonly #parser = new Parser();
  readonly #options: LoadOptions;
  readonly #sources = new Map<string, YamlSource>();

  constructor(options: LoadOptions) {
    this.#options = options;
  }

  displayPath(absolute: string): string {
    return path.relative(this.#options.root, absolute).split(path.sep).join("/");
  }

  /** Loads every file; collects the problems of all of them before failing, so one run shows everything. */
  async loadAll(files: readonly string[]): Promise<LoadedContract[]> {
    const problems: Problem[] = [];
    const loaded: LoadedContract[] = [];
    for (const file of files) {
      try {
        loaded.push(await this.load(file));
      } catch (error) {
        if (!(error instanceof CodegenError)) throw error;
        problems.push(...error.problems);
      }
    }
    if (problems.length > 0) throw new CodegenError(dedupe(problems));
    return loaded;
  }

  async load(file: string): Promise<LoadedContract> {
    const absolute = path.resolve(this.#options.root, file);
    const sources = new Map<string, YamlSource>();
    this.#readTree(absolute, sources);
    const contract = sources.get(this.displayPath(absolute)) as YamlSource;
    checkVersion(contract);

    const { document, diagnostics } = await fromFile(this.#parser, absolute).parse();
    const problems = diagnostics
      .filter((d) => d.severity === DiagnosticSeverity.Error)
      .map((d): Problem => {
        const source = d.source ? this.displayPath(d.source) : contract.file;
        const at = sources.get(source) ?? contract;
        return {
          code: d.code === "invalid-ref" ? "CODEGEN_UNRESOLVED_REF" : "CODEGEN_CONTRACT_INVALID",
          message: `${d.message}${d.path.length > 0 ? ` (at ${d.path.join(".")})` : ""}`,
          location: { ...at.position(d.range.start.line, d.range.start.character), file: source },
        };
      });
    if (problems.length > 0 || !document) {
      throw new CodegenError(problems.length > 0 ? problems : [invalid(contract)]);
    }

    const hash = createHash("sha256");
    for (const name of [...sources.keys()].sort())
      hash.update(name).update("\0").update(sources.get(name)!.text);
    return {
      service: path.basename(file).replace(/\.(asyncapi\.)?ya?ml$/, ""),
      file: contract.file,
      hash: hash.digest("hex"),
      document,
      sources,
    };
  }

  /** Reads a file and, transitively, the local files its `$ref`s name; refuses remote refs unless allowed. */
  #readTree(absolute: string, into: Map<string, YamlSource>): void {
    const display = this.displayPath(absolute);
    if (into.has(display)) return;
    let source = this.#sources.get(display);
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
      this.#sources.set(display, source);
    }
    into.set(display, source);
    for (const ref of collectRefs(source.data)) {
      if (/^https?:\/\//i.test(ref.target)) {
        if (this.#options.allowRemoteRefs) continue;
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
        // A missing file is reported where it is referenced, with the parser's code for it.
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

function invalid(contract: YamlSource): Problem {
  return {
    code: "CODEGEN_CONTRACT_INVALID",
    message: "the AsyncAPI parser rejected the document",
    location: contract.locate([]),
  };
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.location.file}:${p.location.line}:${p.location.column}:${p.code}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
