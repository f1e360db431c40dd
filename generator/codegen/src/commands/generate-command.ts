import path from "node:path";
import { generate } from "../generate.js";
import { ContractLoader } from "../load/load-contracts.js";
import { discoverContracts } from "../load/discover.js";
import { compareTree, writeTree, type Scope } from "../output/tree.js";

export interface GenerateArgs {
  readonly contracts: readonly string[];
  readonly contractsDir: string;
  readonly out: string;
  readonly check: boolean;
  readonly allowRemoteRefs: boolean;
}

/** `asyncgen generate [--check]`; returns the exit code. Bad input throws CodegenError before anything is written. */
export async function runGenerate(args: GenerateArgs, print: (line: string) => void): Promise<number> {
  const root = process.cwd();
  const selected = args.contracts.length > 0;
  const files = selected ? [...args.contracts] : discoverContracts(args.contractsDir);
  const loader = new ContractLoader({ root, allowRemoteRefs: args.allowRemoteRefs });
  const contracts = await loader.loadAll(files);
  const output = await generate(contracts);
  const scope: Scope = { services: contracts.map((c) => c.service), complete: !selected };
  const outDir = path.resolve(root, args.out);

  if (!args.check) {
    writeTree(outDir, output, scope);
    print(`asyncgen: wrote ${output.length} files for ${scope.services.join(", ")} to ${args.out}`);
    return 0;
  }
  const drift = compareTree(outDir, output, scope);
  const lines = [
    ...drift.changed.map((f) => `  changed  ${args.out}/${f}`),
    ...drift.missing.map((f) => `  missing  ${args.out}/${f}`),
    ...drift.extra.map((f) => `  extra    ${args.out}/${f}`),
  ];
  if (lines.length === 0) {
    print(`asyncgen: ${args.out} matches the contracts (${output.length} files)`);
    return 0;
  }
  print(
    `asyncgen: ${args.out} does not match the contracts (${lines.length} files); run \`npm run generate\`:`,
  );
  for (const line of lines) print(line);
  return 1;
}
