import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost } from "@asyncgen/runtime/testing";

/**
 * The toolkit as an adopter gets it: both packages packed to tarballs, installed with npm into an empty folder
 * outside this repository, `npx asyncgen init`, then that project's own npm scripts, and its service on plain node
 * against the real RabbitMQ. One install serves every case (it is the slow part).
 */
const REPO = path.resolve(import.meta.dirname, "../../..");
const run = promisify(execFile);
// Without the npm_* variables of the `npm test` that runs this, so the project's npm sees only its own folder.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")),
);

let work: string;
let project: string;

async function sh(command: string, args: string[], cwd = project): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      out: `${failed.stdout}${failed.stderr}`,
    };
  }
}

async function ok(command: string, args: string[], cwd = project): Promise<string> {
  const result = await sh(command, args, cwd);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.out}`);
  return result.out;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "asyncgen-adopter-"));
  project = path.join(work, "shop");
  await ok(
    "npm",
    ["pack", "-w", "generator/runtime", "-w", "generator/codegen", "--pack-destination", work],
    REPO,
  );
  const tarballs = readdirSync(work)
    .filter((f) => f.endsWith(".tgz"))
    .map((f) => path.join(work, f));
  expect(tarballs).toHaveLength(2);
  await ok("mkdir", ["-p", project], work);
  await ok("npm", ["install", "--no-audit", "--no-fund", ...tarballs]);
  await ok("npx", ["asyncgen", "init"]);
  await ok("npm", ["install", "--no-audit", "--no-fund"]);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("an adopter's project from the packed tarballs", () => {
  it("ships built JavaScript with types and no tests or fixtures", () => {
    for (const pkg of ["runtime", "cli"]) {
      const root = path.join(project, "node_modules/@asyncgen", pkg);
      const files = readdirSync(root, { recursive: true, encoding: "utf8" });
      // starter/ is what `asyncgen init` copies (its test is the adopter's); nothing else may look like a test.
      const shipped = files.filter((f) => !f.startsWith("starter/") && !f.startsWith("node_modules/"));
      expect(
        shipped.filter((f) => /(^|\/)(test|fixtures|golden)(\/|$)|\.test\.|\.tsbuildinfo$/.test(f)),
      ).toEqual([]);
      if (pkg === "cli") expect(files).toContain("starter/src/handlers.test.ts");
      expect(files.some((f) => f.endsWith(".d.ts"))).toBe(true);
      expect(files).toContain("README.md");
    }
  });

  it("passes its own npm test (in-process transport, no RabbitMQ) and generate --check", async () => {
    expect(await ok("npm", ["test"])).toMatch(/# pass 3\n# fail 0/);
    expect(await ok("npx", ["asyncgen", "generate", "--check"])).toContain("matches the contracts");
    await ok("npx", ["tsc", "--noEmit"]);
    expect((await ok("npx", ["asyncgen", "--version"])).trim()).toBe("0.1.0");
  }, 300_000);

  it("refuses a second init and changes nothing", async () => {
    const before = readFileSync(path.join(project, "src/handlers.ts"), "utf8");
    const again = await sh("npx", ["asyncgen", "init"]);
    expect(again.code).toBe(2);
    expect(again.out).toContain("CODEGEN_FILE_EXISTS");
    expect(readFileSync(path.join(project, "src/handlers.ts"), "utf8")).toBe(before);
  }, 120_000);

  it("runs the service on plain node against RabbitMQ: one command in, its reply out", async () => {
    const vhost = createTestVhost("adopter");
    let service: ChildProcess | undefined;
    const connection = await amqp.connect(vhost.url);
    try {
      service = spawn("node", ["dist/src/main.js"], { cwd: project, env: { ...env, AMQP_URL: vhost.url } });
      let log = "";
      service.stderr?.on("data", (chunk: Buffer) => void (log += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        service!.stdout?.on("data", (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes("greeter-service: serving")) resolve();
        });
        service!.once("exit", (code) => reject(new Error(`the service exited ${code}:\n${log}`)));
      });
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue("", { exclusive: true });
      const reply = new Promise<amqp.ConsumeMessage>((resolve) => {
        void channel.consume(queue, (message) => message && resolve(message), { noAck: true });
      });
      channel.sendToQueue("greeter_service.commands", Buffer.from(JSON.stringify({ name: "Ada" })), {
        messageId: "m-1",
        type: "greeter_service.greet",
        correlationId: "c-1",
        replyTo: queue,
        contentType: "application/json",
        persistent: true,
        headers: { contract_version: "1.0.0" },
      });
      const message = await reply;
      expect(message.properties.type).toBe("greeter_service.greet.response.success");
      expect(message.properties.correlationId).toBe("c-1");
      expect(JSON.parse(message.content.toString())).toEqual({ greeting: "Hello, Ada!" });
    } finally {
      await connection.close();
      if (service && service.exitCode === null) {
        service.kill("SIGTERM");
        await once(service, "exit");
      }
      vhost.remove();
    }
  }, 120_000);
});
