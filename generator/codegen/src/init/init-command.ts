import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { codegenError } from "../errors.js";
import { toolkitVersion } from "../version.js";

/** The starter project, shipped beside src/ and dist/ (the same path from both). */
const STARTER = fileURLToPath(new URL("../../starter/", import.meta.url));
/** npm leaves `.gitignore` out of tarballs, so the starter keeps it under another name. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: ".gitignore" };
/** What `npm init -y` puts there: a placeholder, not the user's script. */
const NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1';

export const STARTER_SCRIPTS: Readonly<Record<string, string>> = {
  generate: "asyncgen generate",
  check: "asyncgen generate --check && asyncgen lint",
  build: "tsc",
  test: "tsc && node --test dist/src/",
  start: "tsc && node dist/src/main.js",
};

interface PackageJson {
  name?: string;
  type?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * `asyncgen init`: writes the starter (contract, config, a participant service on the runtime, its test on the
 * in-process transport, tsconfig) into `dir` and adds scripts and dependencies to its package.json (creating it
 * when missing). Any file it would write that exists already stops it before anything is written.
 */
export async function runInit(dir: string, print: (line: string) => void): Promise<number> {
  const root = path.resolve(dir);
  const files = starterFiles();
  const taken = [...files.map((f) => f.target), "generated"].filter((target) =>
    existsSync(path.join(root, target)),
  );
  if (taken.length > 0) {
    throw codegenError(
      "CODEGEN_FILE_EXISTS",
      `asyncgen init writes nothing over existing files: ${taken.join(", ")} (move them away or init another folder)`,
      { file: path.join(dir, taken[0] as string), line: 1, column: 1 },
    );
  }
  const manifestPath = path.join(root, "package.json");
  const manifest: PackageJson = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, "utf8")) as PackageJson)
    : {
        name: path
          .basename(root)
          .toLowerCase()
          .replace(/[^a-z0-9._-]/g, "-"),
        version: "0.1.0",
        private: true,
      };
  const kept = addStarterEntries(manifest);

  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file.target)), { recursive: true });
    writeFileSync(path.join(root, file.target), readFileSync(file.source));
    print(`  created  ${file.target}`);
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  print(`  updated  package.json (scripts ${Object.keys(STARTER_SCRIPTS).join(", ")}; dependencies)`);
  for (const name of kept) print(`  kept     your scripts.${name} (the starter's: ${STARTER_SCRIPTS[name]})`);

  // The generated code is committed like the rest: generate it now so the project compiles at once.
  const { runGenerate } = await import("../commands/generate-command.js");
  const previous = process.cwd();
  process.chdir(root);
  try {
    const code = await runGenerate(
      { contracts: [], contractsDir: "contracts", out: "generated", check: false, allowRemoteRefs: false },
      (line) => print(`  ${line}`),
    );
    if (code !== 0) return code;
  } finally {
    process.chdir(previous);
  }
  print("");
  print("Next: npm install && npm test; npm start runs the service on RabbitMQ at AMQP_URL.");
  return 0;
}

/** Every starter file with the path it gets in the project, sorted. */
function starterFiles(): { source: string; target: string }[] {
  const out: { source: string; target: string }[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(STARTER, relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else out.push({ source: path.join(STARTER, child), target: RENAMED[child] ?? child });
    }
  };
  walk("");
  return out.sort((a, b) => (a.target < b.target ? -1 : 1));
}

/** Adds what the starter needs; never replaces a value the user has. Returns the script names it left alone. */
function addStarterEntries(manifest: PackageJson): string[] {
  const version = `^${toolkitVersion()}`;
  manifest.type ??= "module";
  const scripts = (manifest.scripts ??= {});
  const kept: string[] = [];
  for (const [name, command] of Object.entries(STARTER_SCRIPTS)) {
    if (scripts[name] === undefined || scripts[name] === NPM_PLACEHOLDER_TEST) scripts[name] = command;
    else if (scripts[name] !== command) kept.push(name);
  }
  const has = (pkg: string): boolean =>
    manifest.dependencies?.[pkg] !== undefined || manifest.devDependencies?.[pkg] !== undefined;
  const add = (field: "dependencies" | "devDependencies", pkg: string, range: string): void => {
    if (!has(pkg)) (manifest[field] ??= {})[pkg] = range;
  };
  add("dependencies", "@asyncgen/runtime", version);
  add("devDependencies", "@asyncgen/cli", version);
  add("devDependencies", "@types/node", "^20.19.0");
  add("devDependencies", "typescript", "~5.9.3");
  return kept;
}
