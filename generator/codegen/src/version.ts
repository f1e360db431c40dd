import { readFileSync } from "node:fs";

/** This package's version (`asyncgen --version`, and the range `asyncgen init` asks for). */
export function toolkitVersion(): string {
  // The same path from src/ and dist/.
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}
