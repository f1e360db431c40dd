import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's CPU times (`getconf CLK_TCK`; 100 on Linux everywhere we run). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces, so split after its closing parenthesis):
    // state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in MB (/proc/<pid>/status VmRSS); 0 once it is gone. */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Samples the RSS of named processes every 200 ms and keeps each one's peak. */
export class PeakRss {
  readonly peakMb: Record<string, number> = {};
  readonly #timer: NodeJS.Timeout;

  constructor(processes: () => Record<string, number | undefined>) {
    this.#timer = setInterval(() => {
      for (const [name, pid] of Object.entries(processes())) {
        const rss = rssMb(pid);
        if (rss > (this.peakMb[name] ?? 0)) this.peakMb[name] = rss;
      }
    }, 200);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** CPU used by a set of processes between `start()` and `stop()`, per process, in ms. */
export class CpuWindow {
  readonly #pids: () => Record<string, number | undefined>;
  readonly #before = new Map<number, number>();

  constructor(pids: () => Record<string, number | undefined>) {
    this.#pids = pids;
  }

  start(): void {
    for (const pid of Object.values(this.#pids())) if (pid) this.#before.set(pid, cpuMs(pid));
  }

  /** Per name, the CPU its process used since start (a process that appeared since counts from its start). */
  stop(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.#pids()).map(([name, pid]) => [name, cpuMs(pid) - (this.#before.get(pid!) ?? 0)]),
    );
  }
}

/**
 * The RabbitMQ node's OS process (the one `rabbitmqctl` talks to, RABBITMQ_NODENAME if set), so its CPU per saga is
 * counted with the system's: on 2 shared cores the broker's share decides as much as the services'. Undefined when
 * rabbitmqctl cannot tell (then the broker is left out of the sums, and the table says n/a).
 */
export function brokerPid(): number | undefined {
  try {
    const out = execFileSync("rabbitmqctl", ["eval", "list_to_integer(os:getpid())."], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 15_000,
    });
    const pid = Number(out.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
