import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Files of the contracts folder worth materialising: contracts and the parts they reference. */
const CONTRACT_FILE = /\.(ya?ml|json)$/;

function git(cwd: string, args: readonly string[], input?: Buffer): Buffer {
  return execFileSync("git", args, {
    cwd,
    input,
    stdio: ["pipe", "pipe", "pipe"],
    maxBuffer: 1 << 28,
  });
}

/** The top folder of the git work tree holding `cwd`, or undefined outside one (or without git). */
export function gitTop(cwd: string): string | undefined {
  try {
    return git(cwd, ["rev-parse", "--show-toplevel"]).toString("utf8").trim();
  } catch {
    return undefined;
  }
}

export function refExists(top: string, ref: string): boolean {
  try {
    git(top, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last accepted state of the contracts: `ASYNCGEN_DIFF_BASE` when set; `HEAD` while the contracts folder has
 * uncommitted changes (a developer's edit); otherwise `HEAD~1` (on main, the state before the commit under test).
 */
export function defaultBase(top: string, prefix: string): { ref: string; why: string } {
  const configured = process.env.ASYNCGEN_DIFF_BASE;
  if (configured) return { ref: configured, why: "ASYNCGEN_DIFF_BASE" };
  const dirty = git(top, ["status", "--porcelain", "--", prefix || "."])
    .toString("utf8")
    .trim();
  return dirty.length > 0
    ? { ref: "HEAD", why: `${prefix || "the contracts"} has uncommitted changes` }
    : { ref: "HEAD~1", why: `${prefix || "the contracts"} is committed` };
}

/**
 * Writes the files under `prefix` (relative to the work tree's top, `/`-separated) as they are at `ref` into a new
 * temporary folder, at the same relative paths; returns that folder. Empty when `prefix` did not exist at `ref`.
 */
export function materialise(top: string, ref: string, prefix: string): string {
  const listing = git(top, ["ls-tree", "-r", "-z", ref, "--", prefix || "."]).toString("utf8");
  const blobs = listing
    .split("\0")
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [meta = "", file = ""] = entry.split("\t");
      const [mode, type, object] = meta.split(" ");
      return { mode, type, object: object ?? "", file };
    })
    .filter((b) => b.type === "blob" && b.mode !== "120000" && CONTRACT_FILE.test(b.file));
  const root = mkdtempSync(path.join(tmpdir(), "asyncgen-diff-"));
  if (blobs.length === 0) return root;
  const output = git(top, ["cat-file", "--batch"], Buffer.from(blobs.map((b) => `${b.object}\n`).join("")));
  let offset = 0;
  for (const blob of blobs) {
    const headerEnd = output.indexOf(0x0a, offset);
    const size = Number(output.subarray(offset, headerEnd).toString("utf8").split(" ")[2]);
    const content = output.subarray(headerEnd + 1, headerEnd + 1 + size);
    offset = headerEnd + 1 + size + 1;
    const target = path.join(root, ...blob.file.split("/"));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return root;
}
