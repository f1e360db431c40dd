import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, watch } from "node:fs";
import path from "node:path";
import { runGenerate, type GenerateArgs } from "../commands/generate-command.js";
import { CodegenError, formatProblem } from "../errors.js";

/** Edits arriving within this long of each other (an editor's save, a git checkout) make one regeneration. */
const SETTLE_MS = 150;

/**
 * `asyncgen generate --watch`: generates, then again on every change under the contracts' folders, printing which
 * contracts changed and which output files that changed. Bad input is reported and the watch goes on (the output
 * is left as it was). Runs until `signal` aborts (the CLI: Ctrl-C); resolves 0.
 */
export async function watchGenerate(
  args: GenerateArgs,
  print: (line: string) => void,
  signal: AbortSignal,
): Promise<number> {
  const outDir = path.resolve(args.out);
  const roots = watchedFolders(args);
  const once = async (): Promise<void> => {
    const before = snapshot(outDir);
    try {
      await runGenerate({ ...args, check: false }, print);
    } catch (error) {
      if (!(error instanceof CodegenError)) throw error;
      for (const problem of error.problems) print(`✘ ${formatProblem(problem)}`);
      print("asyncgen: output left as it was; watching for the fix");
      return;
    }
    for (const line of changedFiles(before, snapshot(outDir), args.out)) print(line);
  };

  await once();
  print(
    `asyncgen: watching ${roots.map((r) => path.relative(process.cwd(), r) || ".").join(", ")} (Ctrl-C stops)`,
  );
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  // One plain (inotify) watch per folder: Node 20's recursive mode on Linux misses files replaced by a rename.
  const watchers = roots.flatMap(folderTree).map((root) =>
    watch(root, (_event, file) => {
      const full = file ? path.join(root, file.toString()) : root;
      if (!/\.ya?ml$/.test(full) || full.startsWith(outDir + path.sep)) return;
      changed.add(path.relative(process.cwd(), full));
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed].sort();
        changed.clear();
        running = running.then(async () => {
          print(`asyncgen: ${files.join(", ")} changed; regenerating`);
          await once();
        });
      }, SETTLE_MS);
    }),
  );
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  clearTimeout(timer);
  for (const watcher of watchers) watcher.close();
  await running;
  return 0;
}

/** A folder and every folder below it, except node_modules and dot-folders. */
function folderTree(root: string): string[] {
  const below = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((dir) => !/(^|[/\\])(node_modules|\.[^/\\]+)([/\\]|$)/.test(path.relative(root, dir)));
  return [root, ...below];
}

/** The folders holding the contracts (and the shared parts they $ref, which live below them). */
function watchedFolders(args: GenerateArgs): string[] {
  const named = args.contracts.length > 0 ? args.contracts.map((f) => path.dirname(f)) : [];
  const globbed = args.contractGlobs
    ?.map((g) => g.split(/[*?[{]/)[0] ?? ".")
    .map((p) => path.dirname(`${p}x`));
  const folders = named.length > 0 ? named : globbed?.length ? globbed : [args.contractsDir];
  return [...new Set(folders.map((f) => path.resolve(f)))].filter((f) => existsSync(f)).sort();
}

function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full), createHash("sha256").update(readFileSync(full)).digest("hex"));
  }
  return files;
}

function changedFiles(before: Map<string, string>, after: Map<string, string>, out: string): string[] {
  const lines: string[] = [];
  for (const [file, hash] of after) {
    if (!before.has(file)) lines.push(`  added    ${out}/${file}`);
    else if (before.get(file) !== hash) lines.push(`  changed  ${out}/${file}`);
  }
  for (const file of before.keys()) if (!after.has(file)) lines.push(`  removed  ${out}/${file}`);
  if (lines.length === 0) lines.push(`  no file of ${out} changed`);
  return lines.sort();
}
