import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { diffGraphs } from "../diff/contract-diff.js";
import { buildGraph, type ContractGraph } from "../diff/graph.js";
import { renderFindings, type DiffFormat } from "../diff/report.js";
import { codegenError } from "../errors.js";
import { discoverContracts } from "../load/discover.js";
import { ContractLoader } from "../load/load-contracts.js";
import { buildServiceModel } from "../model/build-model.js";

export interface DiffArgs {
  /** Two folders of contracts, old then new; empty with `against`. */
  readonly dirs: readonly string[];
  /** A git ref, or `auto`: the last accepted state (see `defaultBase`). */
  readonly against: string | undefined;
  readonly contractsDir: string;
  readonly format: DiffFormat;
  readonly allowRemoteRefs: boolean;
}

/** `asyncgen diff`: exit 1 on a breaking change whose owner did not bump its major version. */
export async function runDiff(args: DiffArgs, print: (line: string) => void): Promise<number> {
  const root = process.cwd();
  if (args.dirs.length === 2) {
    const [before, after] = await Promise.all(
      args.dirs.map((dir) => loadGraph(dir, root, args.allowRemoteRefs)),
    );
    return report(diffGraphs(before!, after!), args.format, print);
  }
  if (args.dirs.length !== 0) {
    throw codegenError("CODEGEN_IO", "diff takes two folders (old new), or --against <git-ref>", {
      file: ".",
      line: 1,
      column: 1,
    });
  }
  const ref =
    args.against === undefined || args.against === "auto"
      ? defaultBase(root, args.contractsDir)
      : args.against;
  if (!refExists(root, ref)) {
    print(
      `asyncgen diff: skipped: there is no ${ref} to compare with (first commit or shallow clone); set ASYNCGEN_DIFF_BASE`,
    );
    return 0;
  }
  const checkout = mkdtempSync(path.join(tmpdir(), "asyncgen-diff-"));
  try {
    const prefix = path.relative(gitTop(root), path.resolve(root, args.contractsDir));
    const archive = execFileSync("git", ["archive", "--format=tar", ref, "--", prefix], {
      cwd: gitTop(root),
      maxBuffer: 1 << 28,
    });
    execFileSync("tar", ["-x", "-C", checkout], { input: archive });
    const before = await loadGraph(path.join(checkout, prefix), checkout, args.allowRemoteRefs, `${ref}:`);
    const after = await loadGraph(args.contractsDir, root, args.allowRemoteRefs);
    return report(diffGraphs(before, after), args.format, print, ref);
  } finally {
    rmSync(checkout, { recursive: true, force: true });
  }
}

function report(
  findings: ReturnType<typeof diffGraphs>,
  format: DiffFormat,
  print: (line: string) => void,
  ref?: string,
): number {
  for (const line of renderFindings(findings, format)) print(line);
  const breaking = findings.filter((f) => f.verdict === "breaking").length;
  if (format === "text") {
    print(
      findings.length === 0
        ? `asyncgen diff: no contract changes${ref ? ` since ${ref}` : ""}`
        : `asyncgen diff: ${findings.length} change(s), ${breaking} breaking${ref ? ` since ${ref}` : ""}`,
    );
  }
  return breaking > 0 ? 1 : 0;
}

async function loadGraph(
  dir: string,
  root: string,
  allowRemoteRefs: boolean,
  label = "",
): Promise<ContractGraph> {
  const loader = new ContractLoader({ root, allowRemoteRefs });
  const contracts = await loader.loadAll(discoverContracts(path.resolve(root, dir)));
  const graph = buildGraph(contracts, contracts.map(buildServiceModel));
  if (!label) return graph;
  // Places in the old contracts are shown as <ref>:<path>.
  const relabel = <T extends { location: { file: string } }>(value: T): T => ({
    ...value,
    location: { ...value.location, file: `${label}${value.location.file}` },
  });
  return {
    ...graph,
    messages: new Map(
      [...graph.messages].map(([name, node]) => [
        name,
        {
          ...node,
          locate: (schema: string | undefined, p: readonly string[]) =>
            relabel({ location: node.locate(schema, p) }).location,
        },
      ]),
    ),
    queues: new Map([...graph.queues].map(([name, q]) => [name, relabel(q)])),
    operations: new Map(
      [...graph.operations].map(([key, op]) => [
        key,
        { ...op, operation: { ...op.operation, location: relabel(op.operation).location } },
      ]),
    ),
  };
}

/**
 * The last accepted state of the contracts: `ASYNCGEN_DIFF_BASE` when set; `HEAD` while contracts/ has uncommitted
 * changes (a developer's edit); otherwise `HEAD~1` (on main, the state before the commit under test).
 */
export function defaultBase(root: string, contractsDir: string): string {
  const configured = process.env.ASYNCGEN_DIFF_BASE;
  if (configured) return configured;
  const dirty = execFileSync("git", ["status", "--porcelain", "--", contractsDir], {
    cwd: root,
    encoding: "utf8",
  }).trim();
  return dirty.length > 0 ? "HEAD" : "HEAD~1";
}

function refExists(root: string, ref: string): boolean {
  try {
    execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
      cwd: root,
      stdio: "pipe",
    });
    return true;
  } catch {
    return false;
  }
}

function gitTop(root: string): string {
  return execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: root, encoding: "utf8" }).trim();
}
