import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { globSync } from "tinyglobby";
import { codegenError } from "../errors.js";
import { YamlSource } from "../load/yaml-source.js";

/**
 * The project's asyncgen settings: `asyncgen.config.json`, `asyncgen.config.yaml` (or `.yml`) or the `asyncgen` key of
 * `package.json`, read from the working directory. Every setting is also a flag, and a flag wins.
 */
export interface AsyncgenConfig {
  /** A folder whose top-level *.yaml files are the contracts, or a list of files and globs. Flag: --contracts-dir / --contracts-glob. */
  readonly contracts?: string | readonly string[];
  /** Where `generate` writes. Flag: --out. */
  readonly out?: string;
  /** The name of the generated package (package.json in the output folder). Flag: --package-name. */
  readonly packageName?: string;
  /** Emit only these services (contract file names without .yaml). Flag: --services. */
  readonly services?: readonly string[];
  /** Fetch http(s) $refs. Flag: --allow-remote-refs. */
  readonly allowRemoteRefs?: boolean;
}

const SETTINGS: Readonly<Record<keyof AsyncgenConfig, (value: unknown) => boolean>> = {
  contracts: (v) => typeof v === "string" || isStringList(v),
  out: (v) => typeof v === "string",
  packageName: (v) => typeof v === "string" && /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(v),
  services: isStringList,
  allowRemoteRefs: (v) => typeof v === "boolean",
};
const EXPECTED: Readonly<Record<keyof AsyncgenConfig, string>> = {
  contracts: "a folder or a list of files and globs",
  out: "a folder",
  packageName: "an npm package name, e.g. @acme/contracts",
  services: "a list of service names",
  allowRemoteRefs: "true or false",
};

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

const FILES = ["asyncgen.config.json", "asyncgen.config.yaml", "asyncgen.config.yml"];

/** Reads the configuration of `dir`; no configuration is `{}`. A bad one throws CODEGEN_CONFIG_INVALID at its place. */
export function loadConfig(dir: string): AsyncgenConfig {
  const found = FILES.filter((name) => existsSync(path.join(dir, name)));
  const manifest = readPackageJsonConfig(dir);
  const sources = [...found, ...(manifest ? ["package.json#asyncgen"] : [])];
  if (sources.length > 1) {
    throw codegenError("CODEGEN_CONFIG_INVALID", `two configurations: ${sources.join(" and ")}; keep one`, {
      file: sources[1] as string,
      line: 1,
      column: 1,
    });
  }
  if (manifest) return checked(manifest.source, manifest.value, ["asyncgen"]);
  const file = found[0];
  if (!file) return {};
  const source = YamlSource.parse(file, readFileSync(path.join(dir, file), "utf8")); // JSON is YAML too
  return checked(source, source.data, []);
}

function readPackageJsonConfig(dir: string): { source: YamlSource; value: unknown } | undefined {
  const file = path.join(dir, "package.json");
  if (!existsSync(file)) return undefined;
  const source = YamlSource.parse("package.json", readFileSync(file, "utf8"));
  const value = (source.data as { asyncgen?: unknown } | null)?.asyncgen;
  return value === undefined ? undefined : { source, value };
}

function checked(source: YamlSource, value: unknown, at: readonly string[]): AsyncgenConfig {
  const fail = (message: string, where: readonly string[]): never => {
    throw codegenError("CODEGEN_CONFIG_INVALID", message, source.locate(where));
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("the asyncgen configuration must be an object", at);
  }
  for (const [key, setting] of Object.entries(value)) {
    const valid = SETTINGS[key as keyof AsyncgenConfig];
    if (!valid) {
      return fail(`unknown setting ${key} (known: ${Object.keys(SETTINGS).join(", ")})`, [...at, key]);
    }
    if (!valid(setting)) {
      return fail(`${key} must be ${EXPECTED[key as keyof AsyncgenConfig]}`, [...at, key]);
    }
  }
  return value as AsyncgenConfig;
}

/** The contract files the globs match, sorted; none is CODEGEN_NO_CONTRACTS. */
export function expandContractGlobs(globs: readonly string[], cwd: string): string[] {
  // `*.yaml` beside asyncgen.config.yaml must not take the configuration for a contract.
  const files = globSync([...globs], { cwd, onlyFiles: true, ignore: FILES }).sort();
  if (files.length === 0) {
    throw codegenError("CODEGEN_NO_CONTRACTS", `no contract file matches ${globs.join(", ")}`, {
      file: cwd,
      line: 1,
      column: 1,
    });
  }
  return files;
}

/** The contracts of the named services among `files` (service = file name without .yaml); an unknown name is an error. */
export function selectServices(files: readonly string[], services: readonly string[]): string[] {
  const byService = new Map(files.map((file) => [path.basename(file).replace(/\.ya?ml$/, ""), file]));
  return services.map((service) => {
    const file = byService.get(service);
    if (!file) {
      throw codegenError(
        "CODEGEN_NO_CONTRACTS",
        `no contract for service ${service} (have: ${[...byService.keys()].join(", ")})`,
        { file: "asyncgen.config", line: 1, column: 1 },
      );
    }
    return file;
  });
}
