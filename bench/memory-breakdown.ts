import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout } from "node:timers/promises";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "@asyncgen/saga/testing";
import { SagaCompletions, startSystem } from "@saga/order-service/testing";
import { PARTICIPANTS } from "@saga/service-kit/build";
import { OrderDriver } from "./order-driver.js";
import { CpuWindow } from "./process-usage.js";

/**
 * Where a participant's memory goes under the saga load: `npx tsx bench/memory-breakdown.ts [sqlite|postgres]
 * [in flight] [seconds]` starts the system as the saga bench does, with memory-probe.mjs loaded into every service,
 * keeps the orders in flight, and prints, per participant at its peak RSS: the RSS split by what its pages hold
 * (/proc/<pid>/smaps), the V8 heap committed and used per space and the buffers outside it (the probe's
 * process.memoryUsage() and v8.getHeapSpaceStatistics()), then a summary of a heap snapshot taken under load.
 */
const [database = "sqlite", inFlight = "64", seconds = "10"] = process.argv.slice(2);
const MB = 1024 * 1024;
const ORDER = { consumer_id: 70, card_id: 3, price: 20, items: [{ name: "Dish 1", quantity: 2 }] };

interface ProbeReport {
  usage: NodeJS.MemoryUsage;
  spaces: Record<string, { committed: number; used: number }>;
  gc: Record<"scavenges" | "others", { count: number; ms: number }>;
}

interface Sample {
  /** Resident bytes per kind of mapping (smaps). */
  resident: Record<string, number>;
  probe: ProbeReport | undefined;
}

const NODE_BINARY = realpathSync(process.execPath);

/** What a mapping of /proc/<pid>/smaps holds, by its path. */
function kindOf(pathname: string): string {
  if (pathname === NODE_BINARY) return "node binary";
  if (pathname.endsWith(".node")) return "native addons";
  if (/\.so(\.|$)/.test(pathname)) return "shared libraries";
  if (pathname.startsWith("/")) return "other files";
  return "anonymous (heaps, stacks)";
}

function residentByKind(pid: number): Record<string, number> {
  const resident: Record<string, number> = {};
  let kind = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) kind = kindOf(mapping[1]!);
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) resident[kind] = (resident[kind] ?? 0) + Number(rss[1]) * 1024;
  }
  return resident;
}

function readProbe(dir: string, pid: number): ProbeReport | undefined {
  try {
    return JSON.parse(readFileSync(`${dir}/${pid}.json`, "utf8")) as ProbeReport;
  } catch {
    return undefined;
  }
}

const total = (resident: Record<string, number>) => Object.values(resident).reduce((a, b) => a + b, 0);
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** Self size per node type, and the largest object constructors, of a .heapsnapshot file. */
function summariseSnapshot(file: string): string[] {
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const {
    node_fields: fields,
    node_types: [types],
  } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((field) => fields.indexOf(field));
  const byType = new Map<string, number>();
  const byConstructor = new Map<string, number>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt!]!]!;
    const size = snapshot.nodes[i + sizeAt!]!;
    byType.set(type, (byType.get(type) ?? 0) + size);
    if (type === "object") {
      const name = snapshot.strings[snapshot.nodes[i + nameAt!]!]!;
      byConstructor.set(name, (byConstructor.get(name) ?? 0) + size);
    }
  }
  const top = (sizes: Map<string, number>, n: number) =>
    [...sizes]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, size]) => `${name} ${mb(size)}`)
      .join(", ");
  const live = [...byType.values()].reduce((a, b) => a + b, 0);
  return [
    `live objects ${mb(live)}: ${top(byType, 8)}`,
    `largest objects by constructor: ${top(byConstructor, 6)}`,
  ];
}

const probeDir = mkdtempSync(path.join(tmpdir(), "memory-probe-"));
const vhost = createTestVhost("memory-breakdown");
const testDatabase = database === "postgres" ? await createTestDatabase("memory_breakdown") : undefined;
const system = await startSystem(
  vhost.url,
  {
    APPROVE_TICKET_FAILURE_RATE: "0",
    LOG_LEVEL: "warn",
    MEMORY_PROBE_DIR: probeDir,
    ...(testDatabase ? { DATABASE_URL: testDatabase.url } : {}),
  },
  ["--import", path.join(import.meta.dirname, "memory-probe.mjs")],
);
try {
  const pids = Object.fromEntries(PARTICIPANTS.map((name) => [name, system.processes[name].pid!]));
  const peaks: Record<string, Sample> = {};
  const sampler = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) {
      const resident = residentByKind(pid);
      if (total(resident) > total(peaks[name]?.resident ?? {}))
        peaks[name] = { resident, probe: readProbe(probeDir, pid) };
    }
  }, 200);
  const completions = await SagaCompletions.connect(system.url);
  const driver = new OrderDriver(system.url, Number(inFlight));
  let sagas = 0;
  let loaded = true;
  const load = Promise.all(
    Array.from({ length: Number(inFlight) }, async () => {
      while (loaded) {
        await completions.done(await driver.place(ORDER));
        sagas++;
      }
    }),
  );
  const cpu = new CpuWindow(() => pids);
  cpu.start();
  const gcBefore = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, readProbe(probeDir, pid)?.gc]),
  );
  await setTimeout(Number(seconds) * 1000);
  const sagasMeasured = sagas;
  const cpuMs = cpu.stop();
  const gcAfter = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, readProbe(probeDir, pid)?.gc]),
  );
  // Then, still under load, a heap snapshot of each participant (taking one costs memory, so the peaks are in).
  clearInterval(sampler);
  for (const pid of Object.values(pids)) process.kill(pid, "SIGUSR2");
  while (!Object.values(pids).every((pid) => existsSync(`${probeDir}/${pid}.heapsnapshot`)))
    await setTimeout(100);
  loaded = false;
  await load;
  completions.close();
  driver.close();
  console.log(`${sagasMeasured} sagas in ${seconds} s at ${inFlight} in flight on ${database}\n`);
  for (const [name, { resident, probe }] of Object.entries(peaks)) {
    const cpuPerSaga = (cpuMs[name] ?? 0) / sagasMeasured;
    console.log(`${name}: peak RSS ${mb(total(resident))}, CPU ${cpuPerSaga.toFixed(3)} ms per saga`);
    console.log(
      `  pages: ${Object.entries(resident)
        .map(([kind, bytes]) => `${kind} ${mb(bytes)}`)
        .join(", ")}`,
    );
    if (probe) {
      const { usage, spaces } = probe;
      const committed = Object.values(spaces).reduce((sum, space) => sum + space.committed, 0);
      const outside = (resident["anonymous (heaps, stacks)"] ?? 0) - committed;
      console.log(
        `  V8 heap ${mb(committed)} committed, ${mb(usage.heapUsed)} used; anonymous outside it ${mb(outside)} (external ${mb(usage.external)}, array buffers ${mb(usage.arrayBuffers)}, malloc, thread stacks)`,
      );
      console.log(
        `  spaces (committed/used): ${Object.entries(spaces)
          .filter(([, space]) => space.committed > 0)
          .map(([space, { committed, used }]) => `${space} ${mb(committed)}/${mb(used)}`)
          .join(", ")}`,
      );
    }
    const [before, after] = [gcBefore[name], gcAfter[name]];
    if (before && after) {
      const spent = (kind: "scavenges" | "others") =>
        `${after[kind].count - before[kind].count} ${kind} ${(after[kind].ms - before[kind].ms).toFixed(0)} ms`;
      const perSaga =
        (after.scavenges.ms + after.others.ms - before.scavenges.ms - before.others.ms) / sagasMeasured;
      console.log(
        `  GC over the ${seconds} s: ${spent("scavenges")}, ${spent("others")} (${perSaga.toFixed(3)} ms per saga)`,
      );
    }
    const snapshot = `${probeDir}/${pids[name]}.heapsnapshot`;
    for (const line of summariseSnapshot(snapshot)) console.log(`  ${line}`);
    console.log();
  }
} finally {
  await system.stop();
  await testDatabase?.drop();
  vhost.remove();
  rmSync(probeDir, { recursive: true, force: true });
}
