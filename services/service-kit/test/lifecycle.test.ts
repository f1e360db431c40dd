import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LIFECYCLE = fileURLToPath(new URL("../src/lifecycle.ts", import.meta.url));

/** Runs `body` in a process that has called stopOnSignals, as a service's main does first; resolves with its end. */
function runWithStopSteps(body: string): Promise<{ code: number | null; stdout: string[] }> {
  const script = `
    import pino from "pino";
    import { stopOnSignals } from ${JSON.stringify(LIFECYCLE)};
    const stopSteps = stopOnSignals(pino({ enabled: false }));
    ${body}
    setInterval(() => {}, 1000); // up until a signal stops it
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += String(chunk)));
  return new Promise((resolve) =>
    child.once("close", (code) => resolve({ code, stdout: stdout.split("\n").filter(Boolean) })),
  );
}

describe("stopOnSignals", () => {
  it("stops what has started, last started first, on a signal sent as soon as the service is up", async () => {
    // The signal is raised in the same tick as the "up" line, before anything else could install a handler: the
    // race a supervisor that signals on reading that line wins when the handler comes after the line.
    const { code, stdout } = await runWithStopSteps(`
      stopSteps.add(() => console.log("transport closed"));
      stopSteps.add(async () => { await new Promise((resolve) => setTimeout(resolve, 20)); console.log("service stopped"); });
      console.log("up");
      process.kill(process.pid, "SIGTERM");
    `);
    expect({ code, stdout }).toEqual({ code: 0, stdout: ["up", "service stopped", "transport closed"] });
  });

  it("exits 1 when a step fails, after the steps before it", async () => {
    const { code, stdout } = await runWithStopSteps(`
      stopSteps.add(() => console.log("not reached"));
      stopSteps.add(() => { throw new Error("disk gone"); });
      stopSteps.add(() => console.log("metrics closed"));
      process.kill(process.pid, "SIGINT");
    `);
    expect({ code, stdout }).toEqual({ code: 1, stdout: ["metrics closed"] });
  });
});
