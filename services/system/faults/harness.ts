import type { ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "@asyncgen/saga/testing";
import {
  SERVICES,
  ServiceDatabases,
  startSystem,
  waitFor,
  type AnotherInstance,
  type RunningSystem,
  type ServiceName,
} from "@saga/order-service/testing";
import { resentCommands, sagasGivenUp } from "./databases.js";
import { OrderDriver } from "./orders.js";

/** One bad message the suite published, and what its dead letter must say. */
export interface InjectedMessage {
  readonly messageId: string;
  readonly queue: string;
  readonly code: string;
  readonly label: string;
}

/** Faults injected, by kind, over the whole run. */
export class FaultCounter {
  readonly byKind = new Map<string, number>();
  add(kind: string, n = 1): void {
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + n);
  }
}

/** A log line (JSON, pino) said a duplicate was recognised and absorbed. */
const ABSORBED =
  /duplicate delivery; acknowledged without handling|reply (duplicate|ignored)|already exists for this order|already authorized for this saga|ticket already (approved|rejected)/;

/** How a phase's system runs: each service on SQLite once, or every service twice on one PostgreSQL database. */
export interface SystemShape {
  readonly postgres: boolean;
  /** Instances per service (more than one only on PostgreSQL). */
  readonly instances: 1 | 2;
}

/** A phase's private PostgreSQL database. */
type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * The four service processes on a private vhost (on PostgreSQL: two of each, on a private database), with the order
 * driver and the bookkeeping the invariants need: the bad messages injected and not yet found in a dead-letter queue.
 */
export class Harness {
  readonly injected: InjectedMessage[] = [];
  /** Orders that may end rejected with DeadlineExceeded at this step (their participant was down too long). */
  readonly tolerateTimeout = new Map<number, string>();
  readonly driver: OrderDriver;
  readonly databases: ServiceDatabases;
  /** The second instance of each service, when the shape has two. */
  readonly others = new Map<ServiceName, AnotherInstance>();
  /** Every other instance's logs, the killed ones' too. */
  readonly otherLogs: Record<string, string[]> = {};

  private constructor(
    readonly label: string,
    readonly vhost: ReturnType<typeof createTestVhost>,
    readonly system: RunningSystem,
    readonly faults: FaultCounter,
    readonly database: TestDatabase | undefined,
  ) {
    // Every order-service instance takes orders (the second one's URL changes when it is restarted).
    this.driver = new OrderDriver(() => {
      const other = this.others.get("order-service")?.url;
      return other ? [system.url, other] : [system.url];
    });
    this.databases = new ServiceDatabases({ dataDir: system.dataDir, databaseUrl: database?.url });
  }

  static async start(
    label: string,
    env: Record<string, string>,
    faults: FaultCounter,
    shape: SystemShape = { postgres: false, instances: 1 },
  ): Promise<Harness> {
    const vhost = createTestVhost(`faults-${label}`);
    const database = shape.postgres ? await createTestDatabase(`faults_${label}`) : undefined;
    try {
      const system = await startSystem(vhost.url, { ...env, DATABASE_URL: database?.url ?? "" });
      const h = new Harness(label, vhost, system, faults, database);
      if (shape.instances === 2) await Promise.all(SERVICES.map((service) => h.#startOther(service)));
      return h;
    } catch (error) {
      vhost.remove();
      await database?.drop();
      throw error;
    }
  }

  /** SIGKILLs a service (no shutdown hook runs), starts it again and waits until it serves. */
  async killAndRestart(service: ServiceName): Promise<void> {
    await this.signal(service, "SIGKILL");
    this.faults.add(`SIGKILL ${service}`);
    await this.restart(service);
  }

  /** SIGKILLs the second instance of a service and starts another in its place. */
  async killAndRestartOther(service: ServiceName): Promise<void> {
    const other = this.others.get(service)!;
    const exited = exitOf(other.process);
    other.process.kill("SIGKILL");
    await exited;
    this.faults.add(`SIGKILL ${service} (second instance)`);
    await this.#startOther(service);
  }

  async #startOther(service: ServiceName): Promise<void> {
    const other = await this.system.startAnother(service);
    this.others.set(service, other);
    const n = Object.keys(this.otherLogs).filter((key) => key.startsWith(`${service} `)).length + 2;
    this.otherLogs[`${service} #${n}`] = other.logs;
    if (service === "order-service") await this.healthy();
  }

  /** Sends `signal` and, for one that ends the process, waits until it exited. */
  async signal(service: ServiceName, signal: NodeJS.Signals): Promise<void> {
    const child = this.system.processes[service];
    if (signal === "SIGSTOP" || signal === "SIGCONT") {
      child.kill(signal);
      return;
    }
    const exited = exitOf(child);
    child.kill(signal);
    await exited;
  }

  /** Starts the service again and waits until it consumes (and, for the order service, answers /health). */
  async restart(service: ServiceName): Promise<void> {
    const logs = this.system.logs[service];
    const from = logs.length;
    this.system.start(service);
    await waitFor(
      () =>
        logs
          .slice(from)
          .join("")
          .includes(service === "order-service" ? "HTTP API on" : "consuming"),
      30_000,
      () => `${service} did not start: ${logs.slice(from).join("").slice(-2000)}`,
    );
    if (service === "order-service") await this.healthy();
  }

  /** Waits until the order service says its database and broker connection are up. */
  async healthy(): Promise<void> {
    await waitFor(
      async () => (await fetch(`${this.system.url}/health`).catch(() => undefined))?.ok === true,
      60_000,
      () => "the order service did not become healthy",
    );
  }

  /** Commands resent so far because a step's deadline passed. */
  resentCommands(): Promise<number> {
    return resentCommands(this.databases);
  }

  /** Sagas failed because the orchestrator gave a step up at its deadline. */
  sagasGivenUp(): Promise<number> {
    return sagasGivenUp(this.databases);
  }

  /** Every process's logs: the first instance's by service name, the others' as `<service> #<n>`. */
  allLogs(): Record<string, string[]> {
    return { ...this.system.logs, ...this.otherLogs };
  }

  /** Log lines at level error or above (pino: 50+), per service: not a violation, but worth a look. */
  errorsLogged(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.allLogs()).map(([service, chunks]) => [
        service,
        chunks
          .join("")
          .split("\n")
          .filter((line) => /^\{"level":(5|6)\d/.test(line)).length,
      ]),
    );
  }

  /** Duplicates the services recognised and absorbed, counted from their log lines. */
  duplicatesAbsorbed(): number {
    let count = 0;
    for (const chunks of Object.values(this.allLogs())) {
      for (const line of chunks.join("").split("\n")) if (ABSORBED.test(line)) count++;
    }
    return count;
  }

  /** Stops the services (resuming any frozen one first) and removes the vhost; keeps the databases and logs, or not. */
  async stop({ keepData }: { keepData: boolean }): Promise<void> {
    for (const child of Object.values(this.system.processes)) child.kill("SIGCONT");
    await this.system.stop();
    await this.databases.close();
    this.vhost.remove();
    if (!keepData) {
      await this.database?.drop();
      return rmSync(this.system.dataDir, { recursive: true, force: true });
    }
    if (this.database) console.log(`${this.label}: PostgreSQL database ${this.database.name} kept`);
    for (const [service, chunks] of Object.entries(this.allLogs())) {
      writeFileSync(path.join(this.system.dataDir, `${service.replace(" #", "-")}.log`), chunks.join(""));
    }
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}
