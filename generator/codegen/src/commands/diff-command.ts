import { rmSync } from "node:fs";
import path from "node:path";
import { diffGraphs, type DiffFinding } from "../diff/contract-diff.js";
import { defaultBase, gitTop, materialise, refExists } from "../diff/git-ref.js";
import { loadGraphs, type ContractSide } from "../diff/load-graph.js";
import type { Compatibility } from "../diff/policy.js";
import { renderFindings, summarise, type DiffFormat } from "../diff/report.js";
import { codegenError } from "../errors.js";

export interface DiffArgs {
  /** Two folders of contracts, old then new; empty to compare with a git ref. */
  readonly dirs: readonly string[];
  /** A git ref, or `auto` (or undefined): the last accepted state (see `defaultBase`). */
  readonly against: string | undefined;
  readonly contractsDir: string;
  readonly format: DiffFormat;
  readonly allowRemoteRefs: boolean;
  /** The policy of contracts and messages that declare none; FULL when undefined. */
  readonly compatibility?: Compatibility | undefined;
  /** The folder to run in (relative paths, the git work tree); the process's by default. */
  readonly cwd?: string;
}

const HERE = { file: ".", line: 1, column: 1 };

/** `asyncgen diff`: exit 1 on a breaking change whose owning contract did not bump its major version. */
export async function runDiff(args: DiffArgs, print: (line: string) => void): Promise<number> {
  const cwd = args.cwd ?? process.cwd();
  if (args.dirs.length > 0) {
    if (args.dirs.length !== 2) throw new Error("diff takes two folders (old new), or a git ref");
    const [before, after] = args.dirs as [string, string];
    return compare({ root: cwd, dir: before }, { root: cwd, dir: after }, undefined, args, print);
  }

  const auto = args.against === undefined || args.against === "auto";
  const top = gitTop(cwd);
  if (!top) {
    if (auto)
      return skipped(
        "this is not a git work tree, so there is no accepted state to compare with",
        args,
        print,
      );
    throw codegenError("CODEGEN_IO", `--against ${args.against}: ${cwd} is not in a git work tree`, HERE);
  }
  const prefix = path.relative(top, path.resolve(cwd, args.contractsDir)).split(path.sep).join("/");
  const base = auto ? defaultBase(top, prefix) : { ref: args.against!, why: "--against" };
  if (!refExists(top, base.ref)) {
    if (!auto) throw codegenError("CODEGEN_IO", `--against ${base.ref}: no such git ref`, HERE);
    const hint =
      base.why === "ASYNCGEN_DIFF_BASE"
        ? `ASYNCGEN_DIFF_BASE=${base.ref} is not a commit here (not fetched?)`
        : base.ref === "HEAD"
          ? "there is no commit yet"
          : "HEAD has no parent commit (first commit, or a shallow clone: fetch more history or set ASYNCGEN_DIFF_BASE)";
    return skipped(hint, args, print);
  }
  const checkout = materialise(top, base.ref, prefix);
  try {
    return await compare(
      { root: checkout, dir: prefix, label: `${base.ref}:`, mayBeMissing: true },
      { root: top, dir: prefix },
      base.ref,
      args,
      print,
    );
  } finally {
    rmSync(checkout, { recursive: true, force: true });
  }
}

async function compare(
  before: ContractSide,
  after: ContractSide,
  ref: string | undefined,
  args: DiffArgs,
  print: (line: string) => void,
): Promise<number> {
  const graphs = await loadGraphs(before, after, args.allowRemoteRefs);
  const findings: DiffFinding[] = graphs.identical
    ? []
    : diffGraphs(graphs.before, graphs.after, { compatibility: args.compatibility });
  const summary = summarise(findings, ref);
  for (const line of renderFindings(findings, args.format, summary)) print(line);
  return summary.breaking > 0 ? 1 : 0;
}

/** No accepted state to compare with: one line that says so, and success. */
function skipped(why: string, args: DiffArgs, print: (line: string) => void): number {
  const text = `asyncgen diff: skipped the breaking-change check: ${why}`;
  if (args.format === "json") print(JSON.stringify({ skipped: why, findings: [] }, null, 2));
  else if (args.format === "github") print(`::notice title=asyncgen diff skipped::${text}`);
  else print(text);
  return 0;
}
