import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundleParticipants,
  PARTICIPANT_NODE_FLAGS,
  PARTICIPANTS,
  participantBundle,
} from "@saga/service-kit/build";

/**
 * `npm start -w services/<participant>` twice on one DATA_DIR, without DATABASE_URL (the in-process broker, so no
 * RabbitMQ is needed): the second is refused at start with SAGA_DATABASE_IN_USE in one log line and exit code 1; the
 * first keeps running.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), "participant-one-instance-"));
beforeAll(() => bundleParticipants());
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe.each(PARTICIPANTS)("%s on SQLite", (service) => {
  // As its `npm start` runs it, without the rebuild.
  const start = () =>
    spawn(process.execPath, [...PARTICIPANT_NODE_FLAGS, participantBundle(service)], {
      env: { ...process.env, BROKER: "in-process", DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });

  it("refuses a second instance on the same DATA_DIR with SAGA_DATABASE_IN_USE", async () => {
    const first = start();
    try {
      for await (const line of createInterface({ input: first.stdout! }))
        if (line.includes(`${service}: consuming`)) break;
      const second = start();
      const lines: string[] = [];
      second.stdout!.on("data", (chunk: Buffer) => lines.push(chunk.toString()));
      const code = await new Promise((resolve) => second.once("exit", resolve));
      expect(code).toBe(1);
      const fatal = lines
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; code?: string; msg: string })
        .find((entry) => entry.level === 60);
      expect(fatal).toMatchObject({
        code: "SAGA_DATABASE_IN_USE",
        msg: `${service} could not start`,
      });
      expect(first.exitCode).toBeNull(); // the first instance is untouched
    } finally {
      const exited = new Promise((resolve) => first.once("exit", resolve));
      first.kill("SIGTERM");
      await exited;
    }
  });
});
