// Loaded into each service with `--import` by memory-breakdown.ts (plain JavaScript: the participants run on plain
// node). Every 200 ms it writes the process's own view of its memory (and its GC time so far) to
// $MEMORY_PROBE_DIR/<pid>.json; on SIGUSR2 it
// writes a heap snapshot to $MEMORY_PROBE_DIR/<pid>.heapsnapshot.
import { renameSync, writeFileSync } from "node:fs";
import { setInterval } from "node:timers";
import { constants, PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

const dir = process.env.MEMORY_PROBE_DIR;
if (dir) {
  const file = `${dir}/${process.pid}.json`;
  // Time spent collecting garbage since the start: scavenges (the young generation) and the rest.
  const gc = { scavenges: { count: 0, ms: 0 }, others: { count: 0, ms: 0 } };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.scavenges : gc.others;
      kind.count++;
      kind.ms += entry.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  setInterval(() => {
    const spaces = Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .map((space) => [
          space.space_name,
          { committed: space.physical_space_size, used: space.space_used_size },
        ]),
    );
    writeFileSync(`${file}.tmp`, JSON.stringify({ usage: process.memoryUsage(), spaces, gc }));
    renameSync(`${file}.tmp`, file); // the reader never sees half a file
  }, 200).unref();
  process.on("SIGUSR2", () => {
    const snapshot = `${dir}/${process.pid}.heapsnapshot`;
    renameSync(v8.writeHeapSnapshot(`${snapshot}.tmp`), snapshot); // there once complete
  });
}
