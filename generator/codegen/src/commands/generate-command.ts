import path from "node:path";
import { expandContractGlobs, selectServices } from "../config/config.js";
import { CodegenError } from "../errors.js";
import { ContractFiles, isAsyncApiDocument } from "../load/contract-files.js";
import { discoverContracts } from "../load/discover.js";
import { generatorFingerprint, manifestFile, unchangedSinceGeneration } from "../output/manifest.js";
import type { LoadedContract } from "../load/load-contracts.js";
import { SHARED_FOLDER } from "../model/schema-homes.js";
import { compareTree, ownedFiles, writeTree, type Scope } from "../output/tree.js";

export interface GenerateArgs {
  readonly contracts: readonly string[];
  readonly contractsDir: string;
  readonly out: string;
  readonly check: boolean;
  readonly allowRemoteRefs: boolean;
  /** Instead of the folder: the files these globs match (the complete set). */
  readonly contractGlobs?: readonly string[] | undefined;
  /** Only these services' contracts (like naming their files). */
  readonly services?: readonly string[] | undefined;
  /** The generated package's name (default "generated"). */
  readonly packageName?: string | undefined;
}

/** `asyncgen generate [--check]`; returns the exit code. Bad input throws CodegenError before anything is written. */
export async function runGenerate(args: GenerateArgs, print: (line: string) => void): Promise<number> {
  const root = process.cwd();
  const named = args.contracts.length > 0;
  const all = named
    ? [...args.contracts]
    : args.contractGlobs?.length
      ? expandContractGlobs(args.contractGlobs, root)
      : discoverContracts(args.contractsDir);
  const selected = named || (args.services?.length ?? 0) > 0;
  const files = !named && args.services?.length ? selectServices(all, args.services) : all;
  const outDir = path.resolve(root, args.out);
  const fingerprint = generatorFingerprint();

  // Fast path: nothing that decides the output changed, and the output is as generated. No parsing needed.
  if (args.check && !selected) {
    const hashes = contractHashes(root, files, args.allowRemoteRefs);
    if (
      hashes &&
      unchangedSinceGeneration(
        outDir,
        fingerprint,
        hashes,
        ownedFiles(outDir, { services: [], complete: true }),
      )
    ) {
      print(`asyncgen: ${args.out} matches the contracts (unchanged since it was generated)`);
      return 0;
    }
  }

  // The parser, Modelina and Prettier are loaded only when there is generating to do.
  const [{ ContractLoader }, { generate }, { buildDocs }] = await Promise.all([
    import("../load/load-contracts.js"),
    import("../generate.js"),
    import("../docs/site.js"),
  ]);
  const loader = new ContractLoader({ root, allowRemoteRefs: args.allowRemoteRefs });
  // A selection (named files or `--services`) also writes the contracts it `$ref`s, whose folders it imports from,
  // and reads them first; `--services` reads every contract, so that the shared folder is the whole set's.
  const loaded = await loader.loadEach(!named && args.services?.length ? all : files);
  const wanted = new Set(files.map((file) => path.resolve(root, file)));
  const chosen = loaded.loaded.filter((c) => wanted.has(path.resolve(root, c.file)));
  const dependencies = referencedContracts(chosen);
  const missing = dependencies.filter((file) => !loaded.loaded.some((c) => c.file === file));
  const more = missing.length > 0 ? await loader.loadEach(missing) : { loaded: [], problems: [] };
  const contracts = [...loaded.loaded, ...more.loaded];
  const problems = [...loaded.problems, ...more.problems];
  const written = chosen.map((c) => c.service);
  const alongside = contracts.filter((c) => dependencies.includes(c.file)).map((c) => c.service);
  const scope: Scope = { services: [...written, ...alongside, SHARED_FOLDER], complete: !selected };
  const notes: string[] = [];
  // The contracts that loaded are generated too, so their problems are reported with the others'.
  const modelFiles = await generate(contracts, {
    packageName: args.packageName,
    onNote: (note) => notes.push(note),
  }).catch((error: unknown) => {
    if (!(error instanceof CodegenError)) throw error;
    throw new CodegenError([...problems, ...error.problems]);
  });
  if (problems.length > 0) throw new CodegenError(problems);
  // The documentation covers the whole contract set, so it is only rebuilt with all of it.
  const generated = [
    ...modelFiles.filter((f) => !f.path.includes("/") || scope.services.includes(f.path.split("/")[0]!)),
    ...(scope.complete ? buildDocs(contracts) : []),
  ];
  for (const note of notes) print(`asyncgen: note: ${note}`);
  const output = scope.complete
    ? [
        ...generated,
        manifestFile(fingerprint, Object.fromEntries(contracts.map((c) => [c.service, c.hash])), generated),
      ]
    : generated;

  if (!args.check) {
    writeTree(outDir, output, scope);
    const also = alongside.length > 0 ? ` (with ${alongside.join(", ")}, which it imports from)` : "";
    print(`asyncgen: wrote ${generated.length} files for ${written.join(", ")} to ${args.out}${also}`);
    return 0;
  }
  const drift = compareTree(outDir, output, scope);
  const lines = [
    ...drift.changed.map((f) => `  changed  ${args.out}/${f}`),
    ...drift.missing.map((f) => `  missing  ${args.out}/${f}`),
    ...drift.extra.map((f) => `  extra    ${args.out}/${f}`),
  ];
  if (lines.length === 0) {
    print(`asyncgen: ${args.out} matches the contracts (${generated.length} files)`);
    return 0;
  }
  print(
    `asyncgen: ${args.out} does not match the contracts (${lines.length} files); run \`npm run generate\`:`,
  );
  for (const line of lines) print(line);
  return 1;
}

/** The AsyncAPI documents the contracts `$ref` that are not among them, by path relative to the root. */
function referencedContracts(contracts: readonly LoadedContract[]): string[] {
  const have = new Set(contracts.map((c) => c.file));
  const found = new Set<string>();
  for (const contract of contracts)
    for (const [file, source] of contract.sources)
      if (!have.has(file) && isAsyncApiDocument(source.data)) found.add(file);
  return [...found].sort();
}

/** Each contract's hash, or undefined when one cannot be read (the slow path then reports why). */
function contractHashes(
  root: string,
  files: readonly string[],
  allowRemoteRefs: boolean,
): Record<string, string> | undefined {
  const reader = new ContractFiles(root, allowRemoteRefs);
  try {
    return Object.fromEntries(
      files.map((file) => {
        const set = reader.read(file);
        return [set.service, set.hash];
      }),
    );
  } catch (error) {
    if (error instanceof CodegenError) return undefined;
    throw error;
  }
}
