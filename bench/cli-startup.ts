import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "..");
/** The installed @asyncgen/cli (found by its name, as an adopter's node_modules has it). */
const CLI = path.dirname(createRequire(import.meta.url).resolve("@asyncgen/cli/package.json"));

export interface StartupRow {
  readonly command: string;
  readonly seconds: number;
}

/** Median wall time of `runs` cold processes. */
function median(runs: number, args: readonly string[]): number {
  const times = Array.from({ length: runs }, () => {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { cwd: REPO, stdio: "pipe" });
    return Number(process.hrtime.bigint() - start) / 1e9;
  });
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/**
 * Start-up of the `asyncgen` CLI on plain node (the built bin, as installed from the tarball), against bare
 * `node` (the floor) and the same CLI run from its TypeScript sources through tsx (how it started before it shipped
 * built JavaScript).
 */
export function measureCliStartup(runs: number): StartupRow[] {
  const viaTsx = `import { runCli } from ${JSON.stringify(path.join(CLI, "src/cli.ts"))}; process.exitCode = await runCli(["--version"]);`;
  return [
    { command: "node -e '' (floor)", seconds: median(runs, ["-e", ""]) },
    {
      command: "asyncgen --version (plain node, dist/)",
      seconds: median(runs, [path.join(CLI, "bin/asyncgen.js"), "--version"]),
    },
    {
      command: "asyncgen --help (plain node, dist/)",
      seconds: median(runs, [path.join(CLI, "bin/asyncgen.js"), "--help"]),
    },
    {
      command: "asyncgen --version (tsx, src/)",
      seconds: median(runs, ["--import", "tsx", "--input-type=module", "-e", viaTsx]),
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.table(measureCliStartup(Number(process.argv[2] ?? 5)));
