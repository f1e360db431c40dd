import yargs from "yargs";
import { CodegenError, formatProblem } from "./errors.js";
import { expandContractGlobs, loadConfig } from "./config/config.js";
import type { GenerateArgs } from "./commands/generate-command.js";
import { toolkitVersion } from "./version.js";

/** Exit codes: 0 success, 1 a check failed, 2 bad input or usage, 3 an internal error (a bug to report). */
const USAGE = 2;
const INTERNAL = 3;

/** Wrong flags or arguments: yargs' message, exit 2, and the command never runs. */
class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Writes lines to a standard stream until its reader goes away (`asyncgen diff | head -1`): EPIPE is not a failure of
 * the command, which writes nothing more there and still finishes with its own exit code. The listener also covers
 * what yargs prints itself (help, version).
 */
function lineWriter(stream: NodeJS.WriteStream): (line: string) => void {
  let readerGone = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    readerGone = true;
  });
  return (line) => {
    if (!readerGone) stream.write(`${line}\n`);
  };
}

let processOutput: CliOutput | undefined;
const standardOutput = (): CliOutput =>
  (processOutput ??= { out: lineWriter(process.stdout), err: lineWriter(process.stderr) });

/** Aborts on Ctrl-C (SIGINT) or SIGTERM: how a watch ends. */
function interrupted(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort());
  return controller.signal;
}

const expandGlobs = (globs: readonly string[]): string[] => expandContractGlobs(globs, process.cwd());

/** Runs asyncgen with the given arguments; resolves to the exit code. The single error funnel of the CLI. */
export async function runCli(argv: readonly string[], io: CliOutput = standardOutput()): Promise<number> {
  try {
    return await main([...argv], io.out);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`asyncgen: ${error.message}\nRun asyncgen --help for usage.`);
      return USAGE;
    }
    if (error instanceof CodegenError) {
      for (const problem of error.problems) io.err(`✘ ${formatProblem(problem)}`);
      return USAGE;
    }
    io.err(`asyncgen: internal error, please report it:\n${(error as Error)?.stack ?? String(error)}`);
    return INTERNAL;
  }
}

async function main(argv: string[], out: (line: string) => void): Promise<number> {
  let code = 0;
  const config = loadConfig(process.cwd());
  const globs = Array.isArray(config.contracts) ? [...config.contracts] : undefined;
  await yargs(argv)
    .scriptName("asyncgen")
    .usage("$0 <command> [options]\n\nAsyncAPI 3.0 and 3.1 contracts in, typed TypeScript out.")
    .option("contracts-dir", {
      type: "string",
      default: typeof config.contracts === "string" ? config.contracts : "contracts",
      describe: "Folder whose top-level *.yaml files (and subfolders' asyncapi.yaml) are the contracts",
    })
    .option("contracts-glob", {
      type: "string",
      array: true,
      ...(globs ? { default: globs } : {}), // an undefined default would become [undefined]
      describe: "Instead of --contracts-dir: the contract files these globs match",
    })
    .option("allow-remote-refs", {
      type: "boolean",
      default: config.allowRemoteRefs ?? false,
      describe: "Fetch http(s) $refs (refused by default)",
    })
    .command(
      "generate [contracts..]",
      "Generate generated/<service>/ from every contract (or the ones named)",
      (y) =>
        y
          .positional("contracts", { type: "string", array: true, describe: "Contract files (default: all)" })
          .option("out", { type: "string", default: config.out ?? "generated", describe: "Output folder" })
          .option("package-name", {
            type: "string",
            default: config.packageName ?? "generated",
            describe: "Name of the generated package (its package.json)",
          })
          .option("services", {
            type: "string",
            array: true,
            ...(config.services ? { default: [...config.services] } : {}),
            describe: "Emit only these services (contract file names without .yaml)",
          })
          .option("check", {
            type: "boolean",
            default: false,
            describe: "Change nothing; exit 1 listing every changed, missing or extra file",
          })
          .option("watch", {
            type: "boolean",
            default: false,
            describe: "Regenerate on every contract change, print what changed, keep going on errors",
          }),
      async (a) => {
        if (a.watch && a.check) throw new UsageError("give --watch or --check, not both");
        const { runGenerate } = await import("./commands/generate-command.js");
        const { watchGenerate } = await import("./watch/watch-generate.js");
        const run = a.watch
          ? (args: GenerateArgs, print: typeof out) => watchGenerate(args, print, interrupted())
          : runGenerate;
        code = await run(
          {
            contracts: a.contracts ?? [],
            contractsDir: a.contractsDir,
            out: a.out,
            check: a.check,
            allowRemoteRefs: a.allowRemoteRefs,
            contractGlobs: a.contractsGlob,
            services: a.services,
            packageName: a.packageName,
          },
          out,
        );
      },
    )
    .command(
      "lint [contracts..]",
      "Check the contract set as a whole (senders, receivers, replies, names, queues)",
      (y) =>
        y
          .positional("contracts", { type: "string", array: true, describe: "Contract files (default: all)" })
          .option("format", { choices: ["text", "json"] as const, default: "text" as const }),
      async (a) => {
        const { runLint } = await import("./commands/lint-command.js");
        code = await runLint(
          {
            contracts:
              a.contracts?.length || !a.contractsGlob ? (a.contracts ?? []) : expandGlobs(a.contractsGlob),
            contractsDir: a.contractsDir,
            format: a.format,
            allowRemoteRefs: a.allowRemoteRefs,
          },
          out,
        );
      },
    )
    .command(
      "diff [dirs..]",
      "Breaking-change check: compare two contract folders (old new), or the contracts at a git ref with the " +
        "working tree; report each change with its rule, verdict under its compatibility policy (breaking, allowed, safe), who must deploy first and " +
        "the services it breaks; exit 1 on a breaking change",
      (y) =>
        y
          .positional("dirs", { type: "string", array: true, describe: "Old and new contract folders" })
          .option("against", {
            type: "string",
            describe:
              "Compare the contracts at this git ref with the working tree (default auto: ASYNCGEN_DIFF_BASE, " +
              "else HEAD if contracts/ has uncommitted changes, else HEAD~1; skipped when that ref does not exist)",
          })
          .option("format", {
            choices: ["text", "json", "github"] as const,
            default: "text" as const,
            describe: "github: workflow annotations (::error file=...,line=...,col=...,title=...::...)",
          })
          .option("compatibility", {
            choices: ["FULL", "BACKWARD", "FORWARD", "NONE"] as const,
            describe:
              "The policy of contracts and messages that declare no x-compatibility (default FULL: senders and " +
              "receivers may deploy in either order; BACKWARD: receivers first; FORWARD: senders first)",
          }),
      async (a) => {
        const count = a.dirs?.length ?? 0;
        if (count !== 0 && count !== 2) throw new UsageError("diff takes two folders (old new), or none");
        if (count === 2 && a.against !== undefined)
          throw new UsageError("give two folders or --against, not both");
        const { runDiff } = await import("./commands/diff-command.js");
        code = await runDiff(
          {
            dirs: a.dirs ?? [],
            against: a.against ?? (a.dirs?.length ? undefined : "auto"),
            contractsDir: a.contractsDir,
            format: a.format,
            allowRemoteRefs: a.allowRemoteRefs,
            compatibility: a.compatibility,
          },
          out,
        );
      },
    )
    .command(
      "docs",
      "Write the HTML documentation of every contract (message flow, senders and receivers, payload tables)",
      (y) => y.option("out", { type: "string", default: "docs-site", describe: "Output folder" }),
      async (a) => {
        const { runDocs } = await import("./commands/docs-command.js");
        code = await runDocs(
          { contractsDir: a.contractsDir, out: a.out, allowRemoteRefs: a.allowRemoteRefs },
          out,
        );
      },
    )
    .command(
      "init [dir]",
      "Start a project: a starter contract, asyncgen.config.json, a service implementing the generated handlers " +
        "on @asyncgen/runtime, its test, and npm scripts (refuses to overwrite files)",
      (y) => y.positional("dir", { type: "string", default: ".", describe: "Project folder" }),
      async (a) => {
        const { runInit } = await import("./init/init-command.js");
        code = await runInit(a.dir, out);
      },
    )
    .demandCommand(1, "Name a command; see --help.")
    .strict()
    .help()
    .alias("help", "h")
    .version(toolkitVersion())
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseAsync();
  return code;
}
