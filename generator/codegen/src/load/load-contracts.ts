import { DiagnosticSeverity, Parser, fromFile, type AsyncAPIDocumentInterface } from "@asyncapi/parser";
import { CodegenError, type Problem } from "../errors.js";
import { ContractFiles, serviceNameProblems, type ContractFileSet } from "./contract-files.js";

export { SUPPORTED_ASYNCAPI_VERSIONS } from "./contract-files.js";

export interface LoadOptions {
  /** Paths are shown relative to this folder (the repository root); never absolute, so output is portable. */
  readonly root: string;
  /** Remote (http/https) `$ref`s are refused unless this is set. */
  readonly allowRemoteRefs?: boolean;
}

/** A contract that parsed and validated, with what the generator needs to cite it. */
export interface LoadedContract extends Omit<ContractFileSet, "absolutePath"> {
  readonly document: AsyncAPIDocumentInterface;
}

/** Reads contracts (see ContractFiles), then parses and validates them with @asyncapi/parser. */
export class ContractLoader {
  readonly #parser = new Parser();
  readonly #files: ContractFiles;

  constructor(options: LoadOptions) {
    this.#files = new ContractFiles(options.root, options.allowRemoteRefs ?? false);
  }

  displayPath(absolute: string): string {
    return this.#files.displayPath(absolute);
  }

  /** Loads every file; collects the problems of all of them before failing, so one run shows everything. */
  async loadAll(files: readonly string[]): Promise<LoadedContract[]> {
    const { loaded, problems } = await this.loadEach(files);
    if (problems.length > 0) throw new CodegenError(problems);
    return loaded;
  }

  /** The contracts that load, and the problems of those that do not (so later stages can add theirs). */
  async loadEach(files: readonly string[]): Promise<{ loaded: LoadedContract[]; problems: Problem[] }> {
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
    problems.push(...serviceNameProblems(loaded));
    return { loaded, problems: dedupe(problems) };
  }

  async load(file: string): Promise<LoadedContract> {
    const { absolutePath, ...set } = this.#files.read(file);
    const contract = set.sources.get(set.file)!;
    const { document, diagnostics } = await fromFile(this.#parser, absolutePath).parse();
    const problems = diagnostics
      .filter((d) => d.severity === DiagnosticSeverity.Error)
      .map((d): Problem => {
        const source = d.source ? this.displayPath(d.source) : set.file;
        const at = set.sources.get(source) ?? contract;
        return {
          code: d.code === "invalid-ref" ? "CODEGEN_UNRESOLVED_REF" : "CODEGEN_CONTRACT_INVALID",
          message: `${d.message}${d.path.length > 0 ? ` (at ${d.path.join(".")})` : ""}`,
          location: { ...at.position(d.range.start.line, d.range.start.character), file: source },
        };
      });
    if (problems.length > 0 || !document) {
      throw new CodegenError(
        problems.length > 0
          ? problems
          : [
              {
                code: "CODEGEN_CONTRACT_INVALID",
                message: "the AsyncAPI parser rejected the document",
                location: contract.locate([]),
              },
            ],
      );
    }
    return { ...set, document };
  }
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
