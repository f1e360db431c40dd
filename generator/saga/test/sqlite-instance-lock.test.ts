import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SAGA_SCHEMA } from "../src/index.js";
import { openSqlite, SqliteSagaStore } from "../src/sqlite/index.js";

/**
 * A SQLite database file is one process's: a second process opening it is refused, while connections of the same
 * process (an in-process restart, a test's inspection) are let through.
 */
const dir = mkdtempSync(path.join(tmpdir(), "saga-sqlite-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openStore = (file: string) => SqliteSagaStore.open(file, [SAGA_SCHEMA], "held");

describe("SQLite instance lock", () => {
  it("refuses it while another process holds the file, and not after that process was SIGKILLed", async () => {
    const file = path.join(dir, "two-processes.sqlite");
    const holder = spawn(
      process.execPath,
      ["--import", "tsx", path.join(import.meta.dirname, "fixtures/hold-sqlite.ts"), file],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      for await (const line of createInterface({ input: holder.stdout })) if (line === "open") break;
      expect(() => openStore(file)).toThrow(
        expect.objectContaining({
          code: "SAGA_DATABASE_IN_USE",
          message: expect.stringContaining(`${file} is in use by another process`),
        }),
      );
      expect(() => openSqlite(file, [])).toThrow(expect.objectContaining({ code: "SAGA_DATABASE_IN_USE" }));
      // The data stays readable by others (the sqlite3 shell, a test's checks).
      const reader = new Database(file, { readonly: true });
      expect(reader.prepare("SELECT count(*) AS n FROM sagas").get()).toEqual({ n: 0 });
      reader.close();
    } finally {
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      holder.kill("SIGKILL"); // no chance to clean up: the OS releases the lock with the process
      await exited;
    }
    const [first, second] = [openStore(file), openStore(file)]; // this process holds it now, for any connection
    await Promise.all([first.close(), second.close()]);
  });

  it("leaves in-memory databases alone (each is private)", async () => {
    const stores = [openStore(":memory:"), openStore(":memory:")];
    await Promise.all(stores.map((store) => store.close()));
  });
});
