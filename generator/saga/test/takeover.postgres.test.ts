import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { connectAmqp, silentLogger, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAGA_SCHEMA, startOrchestrator, type Orchestrator } from "../src/index.js";
import { PostgresSagaStore } from "../src/postgres/index.js";
import { createTestDatabase } from "../testing/index.js";
import { slowTripSaga, TAKEOVER_SCHEMA_NAME } from "./takeover-saga.js";
import { travelAgencyQueues } from "./trip-contract.js";
import { startParticipants } from "./trip-participants.js";
import type { TripData } from "./trip-sagas.js";

/**
 * Two orchestrator instances on one PostgreSQL database. One (a child process) starts sagas and claims their
 * commands, then is stuck before publishing them; while it lives its heartbeat keeps them its own, and once it is
 * SIGKILLed (no hand-back) the other instance takes the commands over when their lease runs out and finishes the
 * sagas. The step deadlines are ten minutes: only the takeover can move the sagas on.
 */
const LEASE_MS = 1500;
/** What the issue asks for: a killed instance's sagas finish on another within 5 s. */
const TAKEOVER_LIMIT_MS = 5000;

let vhost: ReturnType<typeof createTestVhost>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let transport: Transport;
let stopParticipants: () => Promise<void>;
let survivor: PostgresSagaStore<TripData>;
let orchestrator: Orchestrator<TripData>;
let stuck: ChildProcess | undefined;

beforeAll(async () => {
  vhost = createTestVhost("saga-takeover");
  database = await createTestDatabase("takeover");
  transport = await connectAmqp(vhost.url, { logger: silentLogger });
  stopParticipants = await startParticipants(transport);
  survivor = await PostgresSagaStore.open<TripData>({
    url: database.url,
    migrations: [SAGA_SCHEMA],
    schemaName: TAKEOVER_SCHEMA_NAME,
    type: slowTripSaga.type,
    logger: silentLogger,
    outboxLeaseMs: LEASE_MS,
  });
});

afterAll(async () => {
  stuck?.kill("SIGKILL");
  await orchestrator?.stop();
  await stopParticipants?.();
  await survivor?.close();
  await transport?.close();
  await database?.drop();
  vhost?.remove();
});

/** Starts the stuck instance and reads the ids of the sagas whose commands it holds. */
async function startStuckInstance(sagas: number, hold: boolean): Promise<{ ids: number[]; claimed: number }> {
  stuck = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "fixtures/stuck-instance.ts")],
    {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        OUTBOX_LEASE_MS: String(LEASE_MS),
        SAGAS: String(sagas),
        HOLD: hold ? "1" : "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  for await (const line of createInterface({ input: stuck.stdout! })) return JSON.parse(line);
  throw new Error("the stuck instance exited before it started its sagas");
}

const statuses = async (ids: readonly number[]) =>
  Promise.all(ids.map(async (id) => (await survivor.load(id))!.status));

describe("outbox takeover between two instances on PostgreSQL", () => {
  it.each([
    ["claimed after their commit", false],
    ["held from their insert (handed to its relay)", true],
  ])(
    "keeps a live instance's commands, %s, its own past the lease, and takes a killed one's over within 5 s",
    async (_, hold) => {
      const { ids, claimed } = await startStuckInstance(8, hold);
      expect(claimed).toBe(8); // one command per saga, all held by the stuck instance
      // Started after the stuck instance claimed its rows, so its relay cannot take one first.
      orchestrator = await startOrchestrator({
        saga: slowTripSaga,
        store: survivor,
        transport,
        replies: travelAgencyQueues,
      });

      // Alive: its heartbeat renews the lease, so the survivor's relay (every 500 ms) leaves the commands alone.
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      expect(await statuses(ids)).toEqual(ids.map(() => "book_room.running"));
      expect(await survivor.pendingOutbox(100)).toEqual([]);

      const exited = new Promise((resolve) => stuck!.once("exit", resolve));
      stuck!.kill("SIGKILL");
      await exited;
      const killedAt = Date.now();
      await expect
        .poll(() => statuses(ids), { timeout: TAKEOVER_LIMIT_MS, interval: 50 })
        .toEqual(ids.map(() => "succeeded"));
      const takeoverMs = Date.now() - killedAt;
      expect(takeoverMs).toBeLessThan(TAKEOVER_LIMIT_MS);
      expect(await survivor.all(`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`)).toEqual([
        { n: 0 },
      ]);
      await orchestrator.stop();
    },
    30_000,
  );
});
