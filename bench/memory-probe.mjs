// Loaded into each service with `--import` by memory-breakdown.ts (plain JavaScript: the participants run on plain
// node). Every 200 ms it writes the process's own view of its memory to $MEMORY_PROBE_DIR/<pid>.json; on SIGUSR2 it
// writes a heap snapshot to $MEMORY_PROBE_DIR/<pid>.heapsnapshot.
import { renameSync, writeFileSync } from "node:fs";
import { setInterval } from "node:timers";
import v8 from "node:v8";

const dir = process.env.MEMORY_PROBE_DIR;
if (dir) {
  const file = `${dir}/${process.pid}.json`;
  setInterval(() => {
    const spaces = Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .map((space) => [
          space.space_name,
          { committed: space.physical_space_size, used: space.space_used_size },
        ]),
    );
    writeFileSync(`${file}.tmp`, JSON.stringify({ usage: process.memoryUsage(), spaces }));
    renameSync(`${file}.tmp`, file); // the reader never sees half a file
  }, 200).unref();
  process.on("SIGUSR2", () => {
    const snapshot = `${dir}/${process.pid}.heapsnapshot`;
    renameSync(v8.writeHeapSnapshot(`${snapshot}.tmp`), snapshot); // there once complete
  });
}
