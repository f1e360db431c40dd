import { CodegenError, formatLocation } from "../errors.js";
import { lintContracts } from "../lint/lint.js";
import { ContractLoader } from "../load/load-contracts.js";
import { discoverContracts } from "../load/discover.js";
import { buildServiceModel } from "../model/build-model.js";
import type { ServiceModel } from "../model/service-model.js";

export interface LintArgs {
  readonly contracts: readonly string[];
  readonly contractsDir: string;
  readonly format: "text" | "json";
  readonly allowRemoteRefs: boolean;
}

/** `asyncgen lint`: exit 1 with every finding, 0 when the contract set is consistent. */
export async function runLint(args: LintArgs, print: (line: string) => void): Promise<number> {
  const files = args.contracts.length > 0 ? [...args.contracts] : discoverContracts(args.contractsDir);
  const loader = new ContractLoader({ root: process.cwd(), allowRemoteRefs: args.allowRemoteRefs });
  const { loaded: contracts, problems } = await loader.loadEach(files);
  const models: ServiceModel[] = [];
  for (const contract of contracts) {
    try {
      models.push(buildServiceModel(contract));
    } catch (error) {
      if (!(error instanceof CodegenError)) throw error;
      problems.push(...error.problems);
    }
  }
  // A contract the generator cannot read is bad input (exit 2), reported with every other one.
  if (problems.length > 0) throw new CodegenError(problems);
  const findings = lintContracts(models);
  if (args.format === "json") {
    print(JSON.stringify(findings, null, 2));
  } else if (findings.length === 0) {
    print(`asyncgen lint: ${contracts.length} contracts, no findings`);
  } else {
    for (const f of findings) print(`${formatLocation(f.location)} ${f.rule} ${f.message}`);
    print(`asyncgen lint: ${findings.length} finding(s)`);
  }
  return findings.length === 0 ? 0 : 1;
}
