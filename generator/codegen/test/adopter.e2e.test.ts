import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost } from "@asyncgen/runtime/testing";

/**
 * The toolkit as an adopter gets it: the three packages packed to tarballs, installed with npm into an empty folder
 * outside this repository, `npx asyncgen init`, then that project's own npm scripts, its service on plain node
 * against the real RabbitMQ, and an orchestrator of its own on @asyncgen/saga. One install serves every case (it is
 * the slow part).
 *
 * better-sqlite3 (the saga store's optional peer) is linked from this repository's install, the same 12.x: npm would
 * build it from source here (no prebuilt binary reachable), over a minute on every `npm test`. So the installs run
 * with --ignore-scripts, which also shows the toolkit itself needs no install script.
 */
const REPO = path.resolve(import.meta.dirname, "../../..");
const run = promisify(execFile);
// Without the npm_* variables of the `npm test` that runs this, so the project's npm sees only its own folder.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")),
);

const INSTALL_FLAGS = ["--no-audit", "--no-fund", "--ignore-scripts"];
const packageVersion = (name: string): string =>
  (
    JSON.parse(readFileSync(path.join(REPO, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

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
    [
      "pack",
      ...["-w", "generator/runtime", "-w", "generator/codegen", "-w", "generator/saga"],
      ...["--pack-destination", work],
    ],
    REPO,
  );
  const tarballs = readdirSync(work)
    .filter((f) => f.endsWith(".tgz"))
    .map((f) => path.join(work, f));
  expect(tarballs).toHaveLength(3);
  await ok("mkdir", ["-p", project], work);
  const betterSqlite = path.join(REPO, "node_modules/better-sqlite3");
  const sqliteTypes = `@types/better-sqlite3@${packageVersion("@types/better-sqlite3")}`;
  await ok("npm", ["install", ...INSTALL_FLAGS, ...tarballs, betterSqlite, sqliteTypes]);
  await ok("npx", ["asyncgen", "init"]);
  await ok("npm", ["install", ...INSTALL_FLAGS]);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("an adopter's project from the packed tarballs", () => {
  it("ships built JavaScript with types and no tests or fixtures", () => {
    for (const pkg of ["runtime", "cli", "saga"]) {
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
      // Every entry point (and its types) the package declares is in the tarball.
      const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
        exports: Record<string, string | Record<string, string>>;
      };
      const targets = Object.values(manifest.exports).flatMap((target) =>
        typeof target === "string" ? [target] : Object.values(target),
      );
      expect(targets.filter((target) => !files.includes(path.posix.normalize(target)))).toEqual([]);
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

  it("writes and runs an orchestrator: the saga README's example, compiled strict, on the in-process transport and SQLite", async () => {
    // The contracts of this repository's system (the orchestrator's and the participants' it references).
    for (const file of readdirSync(path.join(REPO, "contracts"))) {
      cpSync(path.join(REPO, "contracts", file), path.join(project, "contracts", file), { recursive: true });
    }
    await ok("npx", ["asyncgen", "generate"]);
    // The README's example as the user copies it; only its import of the generated code is this project's path.
    const readme = readFileSync(path.join(REPO, "generator/saga/README.md"), "utf8");
    const example = readme.split(/^## Writing an orchestrator$/m)[1]!.match(/```ts\n([\s\S]*?)```/)![1]!;
    const generatedImport = '"@saga/generated/order-service"';
    expect(example).toContain(generatedImport);
    writeFileSync(
      path.join(project, "src/payment-saga.ts"),
      example.replace(generatedImport, '"../generated/order-service/index.js"'),
    );
    writeFileSync(path.join(project, "src/run-payments.ts"), RUN_PAYMENTS);
    await ok("npx", ["tsc"]); // the project's tsconfig: strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess
    const out = await ok("node", ["dist/src/run-payments.js"]);
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual(["succeeded", "failed", "failed"]);
  }, 300_000);
});

/** The participants on the generated handlers, three payments (approved, refused consumer, declined card). */
const RUN_PAYMENTS = `import { createInProcessTransport, failure, success } from "@asyncgen/runtime";
import { serveAccountingService } from "../generated/accounting-service/index.js";
import { serveConsumerService } from "../generated/consumer-service/index.js";
import { startPayments } from "./payment-saga.js";

const transport = createInProcessTransport();
const refusal = (message: string) => failure({ type: "ValueError", message, module: "shop", traceback: [] });
const consumer = await serveConsumerService(transport, {
  verifyConsumerDetails: async ({ consumer_id }) => (consumer_id < 50 ? refusal("unknown consumer") : success(null)),
});
const accounting = await serveAccountingService(transport, {
  authorizeCard: async ({ amount }) => (amount >= 50 ? refusal("declined") : success({ transaction_id: 9 })),
});
const payments = await startPayments(transport, "payments.sqlite");
const ids = await Promise.all([payments.pay(70, 1, 20), payments.pay(10, 1, 20), payments.pay(70, 1, 80)]);
const statuses = () => Promise.all(ids.map((id) => payments.status(id)));
const ended = (status: string | undefined) => status === "succeeded" || status === "failed";
for (let tries = 0; tries < 600 && !(await statuses()).every(ended); tries++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(JSON.stringify(await statuses()));
await payments.stop();
await consumer.close();
await accounting.close();
await transport.close();
`;
