import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { CodegenError, type Problem } from "../errors.js";
import { ContractFiles, type ContractFileSet } from "../load/contract-files.js";
import { discoverContracts } from "../load/discover.js";
import { ContractLoader, type LoadedContract } from "../load/load-contracts.js";
import { buildServiceModel } from "../model/build-model.js";
import type { ServiceModel } from "../model/service-model.js";
import { buildGraph, type ContractGraph } from "./graph.js";

/** One side of a comparison: a folder of contracts. */
export interface ContractSide {
  /** Locations are shown relative to this folder (the repository root). */
  readonly root: string;
  /** The contracts folder, absolute or relative to `root`. */
  readonly dir: string;
  /** Shown before file names in this side's problems, e.g. `HEAD~1:`. */
  readonly label?: string;
  /** When the folder does not exist (at an old git ref), the side is an empty contract set. */
  readonly mayBeMissing?: boolean;
}

export type LoadedGraphs =
  | { readonly identical: true }
  | { readonly identical: false; readonly before: ContractGraph; readonly after: ContractGraph };

interface SideFiles {
  readonly side: ContractSide;
  readonly dir: string;
  readonly sets: readonly ContractFileSet[];
  /** Per service, a hash of its files' text and their paths relative to the contracts folder. */
  readonly content: ReadonlyMap<string, string>;
}

interface Parsed {
  readonly contract: LoadedContract;
  readonly model: ServiceModel;
}

/**
 * Parsed contracts by the hash of their files (text and shown paths): parsing is what costs (about a second per
 * contract), and an unchanged contract is the same on both sides of a comparison and across the comparisons of a
 * test run.
 */
const parsedCache = new Map<string, Parsed>();
const CACHE_LIMIT = 64;

/**
 * Loads both sides. Reading the YAML is cheap, so when every contract and the files it references are the same on
 * both sides nothing is parsed at all; otherwise a contract unchanged between the sides is parsed once.
 */
export async function loadGraphs(
  before: ContractSide,
  after: ContractSide,
  allowRemoteRefs: boolean,
): Promise<LoadedGraphs> {
  const old = readSide(before, allowRemoteRefs);
  const now = readSide(after, allowRemoteRefs);
  const same =
    old.content.size === now.content.size &&
    [...old.content].every(([service, hash]) => now.content.get(service) === hash);
  if (same) return { identical: true };
  const parsedAfter = new Map<string, Parsed>();
  const graphAfter = await parseSide(now, allowRemoteRefs, new Map(), parsedAfter);
  // A contract whose files are the same as on the new side is not parsed again: its places are the new side's.
  const graphBefore = await parseSide(old, allowRemoteRefs, parsedAfter);
  return { identical: false, before: graphBefore, after: graphAfter };
}

function readSide(side: ContractSide, allowRemoteRefs: boolean): SideFiles {
  const absolute = path.resolve(side.root, side.dir);
  const dir = path.relative(side.root, absolute).split(path.sep).join("/");
  if (side.mayBeMissing && !existsSync(absolute)) return { side, dir, sets: [], content: new Map() };
  const reader = new ContractFiles(side.root, allowRemoteRefs);
  const sets: ContractFileSet[] = [];
  const problems: Problem[] = [];
  for (const file of discoverContracts(absolute)) {
    try {
      sets.push(reader.read(file));
    } catch (error) {
      if (!(error instanceof CodegenError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw labelled(problems, side.label);
  const content = new Map(
    sets.map((set): [string, string] => {
      const hash = createHash("sha256");
      for (const name of [...set.sources.keys()].sort()) {
        const relative = path.posix.relative(dir, name);
        hash.update(relative).update("\0").update(set.sources.get(name)!.text).update("\0");
      }
      return [set.service, hash.digest("hex")];
    }),
  );
  return { side, dir, sets, content };
}

/** Parses a side; `reuse` maps content hashes to contracts parsed already, `parsedOut` receives this side's. */
async function parseSide(
  files: SideFiles,
  allowRemoteRefs: boolean,
  reuse: ReadonlyMap<string, Parsed>,
  parsedOut = new Map<string, Parsed>(),
): Promise<ContractGraph> {
  const loader = new ContractLoader({ root: files.side.root, allowRemoteRefs });
  const parsed: Parsed[] = [];
  const problems: Problem[] = [];
  for (const set of files.sets) {
    const key = `${allowRemoteRefs}:${set.hash}`;
    const content = files.content.get(set.service)!;
    let entry = reuse.get(content) ?? parsedCache.get(key);
    if (!entry) {
      try {
        const contract = await loader.load(set.absolutePath);
        entry = { contract, model: buildServiceModel(contract) };
      } catch (error) {
        if (!(error instanceof CodegenError)) throw error;
        problems.push(...error.problems);
        continue;
      }
      parsedCache.set(key, entry);
      if (parsedCache.size > CACHE_LIMIT) parsedCache.delete(parsedCache.keys().next().value!);
    }
    parsedOut.set(content, entry);
    parsed.push(entry);
  }
  if (problems.length > 0) throw labelled(problems, files.side.label);
  return buildGraph(
    parsed.map((p) => p.contract),
    parsed.map((p) => p.model),
    files.dir,
  );
}

function labelled(problems: readonly Problem[], label: string | undefined): CodegenError {
  if (!label) return new CodegenError(problems);
  return new CodegenError(
    problems.map((p) => ({ ...p, location: { ...p.location, file: `${label}${p.location.file}` } })),
  );
}
