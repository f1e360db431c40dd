import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURES, REPO } from "./helpers.js";

/**
 * `asyncgen ... | head -1`: the reader closes the pipe before the CLI writes (or between two lines). The built CLI, as
 * a user runs it, must then stop writing and exit with the code it has when its output is read, not crash on EPIPE.
 */
const BIN = path.join(REPO, "generator/codegen/bin/asyncgen.js");
const MESSAGE_REMOVED = path.join(FIXTURES, "diff/message-removed");

/** The exit code and stderr when both outputs are read to the end. */
async function readToTheEnd(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)("node", [BIN, ...args], { cwd: REPO });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

/** The exit code and stderr when stdout (and with `closeStderr`, stderr too) is closed as the process starts. */
async function withClosedPipe(args: string[], closeStderr = false): Promise<{ code: number; err: string }> {
  const child = spawn("node", [BIN, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  if (closeStderr) child.stderr.destroy();
  let err = "";
  if (!closeStderr) child.stderr.on("data", (chunk: Buffer) => void (err += chunk.toString()));
  const [code] = (await once(child, "close")) as [number];
  return { code, err };
}

describe("the CLI when its reader closes the pipe", () => {
  it.each([
    [
      "diff with a breaking change (several lines, exit 1)",
      ["diff", `${MESSAGE_REMOVED}/old`, `${MESSAGE_REMOVED}/new`],
    ],
    ["--help (printed by yargs)", ["--help"]],
  ])(
    "%s: exits quietly with its usual code",
    async (_, args) => {
      const usual = await readToTheEnd(args);
      expect(usual.out).not.toBe(""); // there is something to write, so the closed pipe is hit
      expect(await withClosedPipe(args)).toEqual({ code: usual.code, err: "" });
    },
    120_000,
  );

  it("a usage error with stdout and stderr closed (2>&1 | head) still exits 2", async () => {
    expect(await withClosedPipe(["diff", "only-one-folder"], true)).toEqual({ code: 2, err: "" });
  }, 60_000);
});
