import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildDocs } from "../docs/site.js";
import { discoverContracts } from "../load/discover.js";
import { ContractLoader } from "../load/load-contracts.js";

/** `asyncgen docs --out <dir>`: the HTML documentation of every contract (also kept in generated/docs/). */
export async function runDocs(
  args: { contractsDir: string; out: string; allowRemoteRefs: boolean },
  print: (line: string) => void,
): Promise<number> {
  const loader = new ContractLoader({ root: process.cwd(), allowRemoteRefs: args.allowRemoteRefs });
  const contracts = await loader.loadAll(discoverContracts(args.contractsDir));
  mkdirSync(args.out, { recursive: true });
  for (const file of buildDocs(contracts))
    writeFileSync(path.join(args.out, path.basename(file.path)), file.content);
  print(`asyncgen docs: wrote ${path.join(args.out, "index.html")} (${contracts.length} contracts)`);
  return 0;
}
