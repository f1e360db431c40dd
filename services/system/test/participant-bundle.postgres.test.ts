import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@asyncgen/saga/testing";
import { tempDir } from "@saga/service-kit/testing";
import {
  bundleParticipants,
  PARTICIPANT_NODE_FLAGS,
  PARTICIPANTS,
  participantBundle,
} from "@saga/service-kit/build";

/**
 * A participant's bundle loads the database module it uses only: on PostgreSQL it never loads better-sqlite3 (which
 * an external ESM import at the top of the bundle would load at start), on SQLite it does. At exit a module loaded
 * with the process lists the CommonJS modules it holds (imported ones too).
 */
const LIST_MODULES_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  'import { createRequire } from "node:module"; const { cache } = createRequire("/"); ' +
    'process.on("exit", () => process.stderr.write("modules: " + JSON.stringify(Object.keys(cache)) + "\\n"));',
)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  await bundleParticipants();
  database = await createTestDatabase("participant_bundle");
});
afterAll(() => database?.drop());

/** Starts the bundle as its `npm start` runs it until it consumes; resolves with the modules it loaded. */
async function loadedUntilConsuming(service: string, env: Record<string, string>): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ["--import", LIST_MODULES_AT_EXIT, ...PARTICIPANT_NODE_FLAGS, participantBundle(service)],
    {
      env: {
        ...process.env,
        BROKER: "in-process",
        DATA_DIR: tempDir(service),
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(String(chunk)));
  try {
    for await (const line of createInterface({ input: child.stdout! }))
      if (line.includes(`${service}: consuming`)) break;
  } finally {
    const closed = new Promise((resolve) => child.once("close", resolve)); // after the last of its stderr
    child.kill("SIGTERM");
    await closed;
  }
  const modules = /^modules: (.*)$/m.exec(stderr.join(""));
  expect(modules, stderr.join("")).not.toBeNull();
  return JSON.parse(modules![1]!) as string[];
}

describe.each(PARTICIPANTS)("%s's bundle", (service) => {
  it("does not load better-sqlite3 on PostgreSQL", async () => {
    const modules = await loadedUntilConsuming(service, { DATABASE_URL: database.url });
    expect(modules.filter((file) => file.includes("/better-sqlite3/"))).toEqual([]);
  });

  it("loads it on SQLite", async () => {
    const modules = await loadedUntilConsuming(service, { DATABASE_URL: "" });
    expect(modules.filter((file) => file.includes("/better-sqlite3/")).length).toBeGreaterThan(0);
  });
});
