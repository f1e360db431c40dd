import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  bundleParticipants,
  PARTICIPANT_NODE_FLAGS,
  PARTICIPANTS,
  participantBundle,
} from "@saga/service-kit/build";

const REPO = path.resolve(import.meta.dirname, "../../..");
export const SERVICES = [
  "consumer-service",
  "restaurant-service",
  "accounting-service",
  "order-service",
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A further instance of a service, beside the one `processes` holds. */
export interface AnotherInstance {
  readonly url: string | undefined;
  readonly process: ChildProcess;
  readonly logs: string[];
}

export interface RunningSystem {
  readonly url: string;
  readonly dataDir: string;
  readonly logs: Record<ServiceName, string[]>;
  readonly processes: Record<ServiceName, ChildProcess>;
  /** Starts (or restarts) one service with the system's environment. */
  start(service: ServiceName): ChildProcess;
  /**
   * Starts one more order-service process with the system's environment on a port of its own: a second instance
   * (on PostgreSQL, sharing the first one's database). `stop()` stops it too.
   */
  startAnotherOrderService(): Promise<{ url: string; process: ChildProcess; logs: string[] }>;
  /**
   * Starts one more process of `service` with the system's environment (an order service on a port of its own) and
   * waits until it consumes (an order service: until it answers /health). `stop()` stops it too.
   */
  startAnother(service: ServiceName): Promise<AnotherInstance>;
  stop(): Promise<void>;
}

/** How `npm start -w services/<name>` runs a service: a participant from its bundle, the order service through tsx. */
function serviceCommand(service: ServiceName): string[] {
  return (PARTICIPANTS as readonly string[]).includes(service)
    ? [...PARTICIPANT_NODE_FLAGS, participantBundle(service)]
    : ["--import", "tsx", path.join(REPO, "services", service, "src/main.ts")];
}

/**
 * The four services as separate processes, each started exactly as `npm start -w services/<name>` starts it (a
 * participant from its bundle, rebuilt first when its sources changed; the order service through tsx), against the
 * broker at `amqpUrl`, with databases in a fresh folder. `nodeArgs` go to every service's node.
 */
export async function startSystem(
  amqpUrl: string,
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<RunningSystem> {
  await bundleParticipants();
  const dataDir = mkdtempSync(path.join(tmpdir(), "saga-e2e-"));
  const port = await freePort();
  const logs = Object.fromEntries(SERVICES.map((s) => [s, [] as string[]])) as Record<ServiceName, string[]>;
  const processes = {} as Record<ServiceName, ChildProcess>;
  const extraProcesses: ChildProcess[] = [];
  const spawnService = (service: ServiceName, servicePort: number, sink: string[]): ChildProcess => {
    const child = spawn(process.execPath, [...nodeArgs, ...serviceCommand(service)], {
      cwd: REPO,
      env: {
        ...process.env,
        AMQP_URL: amqpUrl,
        BROKER: "amqp",
        DATA_DIR: dataDir,
        PORT: String(servicePort),
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr])
      stream?.on("data", (chunk: Buffer) => sink.push(chunk.toString()));
    return child;
  };
  const start = (service: ServiceName): ChildProcess =>
    (processes[service] = spawnService(service, port, logs[service]));
  for (const service of SERVICES) start(service);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok === true,
    30_000,
    () => JSON.stringify(logs, null, 1).slice(-4000),
  );
  const startAnother = async (service: ServiceName): Promise<AnotherInstance> => {
    const anotherPort = await freePort();
    const anotherLogs: string[] = [];
    const child = spawnService(service, anotherPort, anotherLogs);
    extraProcesses.push(child);
    if (service !== "order-service") {
      await waitFor(
        () => anotherLogs.join("").includes("consuming"),
        30_000,
        () => anotherLogs.join("").slice(-4000),
      );
      return { url: undefined, process: child, logs: anotherLogs };
    }
    const anotherUrl = `http://127.0.0.1:${anotherPort}`;
    await waitFor(
      async () => (await fetch(`${anotherUrl}/health`).catch(() => undefined))?.ok === true,
      30_000,
      () => anotherLogs.join("").slice(-4000),
    );
    return { url: anotherUrl, process: child, logs: anotherLogs };
  };
  return {
    url,
    dataDir,
    logs,
    processes,
    start,
    startAnother,
    async startAnotherOrderService() {
      const another = await startAnother("order-service");
      return { ...another, url: another.url! };
    },
    async stop() {
      await Promise.all(
        [...Object.values(processes), ...extraProcesses].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}

/** Polls until `check` holds; fails with `describe()` after the timeout. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe = () => "",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms ${describe()}`);
}
