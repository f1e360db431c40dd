import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAmqp, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createOrderSaga } from "../src/create-order-saga/definition.js";
import {
  openOrderDatabase,
  type OrderDatabaseLocation,
  type SagaView,
} from "../src/create-order-saga/order-store.js";
import { SagaEngine } from "@asyncgen/saga";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { newOrder } from "../testing/orders.js";
import { startParticipants } from "../testing/participants.js";
import { createTestDatabase } from "../testing/postgres.js";
import { waitFor } from "../testing/system-under-test.js";

/**
 * A service that stopped with sagas in flight finishes them after a restart without any new traffic: the relay
 * publishes the commands left in the outbox, and the deadline poller resends a command whose reply never came.
 */
const logger = pino({ level: "silent" });
const STEP_DEADLINE_MS = 15_000;

interface Backend {
  readonly name: string;
  open(): Promise<{ location: OrderDatabaseLocation; remove(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: "SQLite",
    async open() {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "in-flight-")), "order-service.sqlite");
      return { location: { databaseFile: file }, remove: async () => {} };
    },
  },
  {
    name: "PostgreSQL",
    async open() {
      const database = await createTestDatabase("in_flight");
      return { location: { databaseUrl: database.url }, remove: () => database.drop() };
    },
  },
];

describe.each(BACKENDS)("sagas in flight at start ($name)", (backend) => {
  let database: Awaited<ReturnType<Backend["open"]>>;
  let vhost: ReturnType<typeof createTestVhost>;
  let transport: Transport;
  let participants: { stop(): Promise<void> } | undefined;
  let service: RunningOrderService | undefined;
  let unpublished: number;
  let unanswered: number;

  beforeAll(async () => {
    database = await backend.open();
    vhost = createTestVhost("in-flight");
    // What a stopped instance left behind: one saga whose first command never left the outbox, and one whose
    // command went out a minute ago and was never answered.
    const store = await openOrderDatabase(database.location, logger);
    try {
      // The deadline is long enough that only the minute-old command is overdue, however loaded the machine is.
      const definition = createOrderSaga({ stepDeadlineMs: STEP_DEADLINE_MS, maxResends: 3 });
      unpublished = await new SagaEngine(definition, store, logger).start(newOrder());
      const aMinuteAgo = () => Date.now() - 60_000;
      unanswered = await new SagaEngine(definition, store, logger, aMinuteAgo).start(newOrder());
      const rows = await store.pendingOutbox(10);
      await store.markSent(
        rows
          .filter((row) => row.message.properties.correlationId === String(unanswered))
          .map((row) => row.id),
      );
    } finally {
      await store.close();
    }
    transport = await connectAmqp(vhost.url, { logger });
    participants = await startParticipants({
      transport,
      dataDir: mkdtempSync(path.join(tmpdir(), "in-flight-participants-")),
      logger,
      approveTicketFailureRate: 0,
    });
  });

  afterAll(async () => {
    await service?.stop();
    await participants?.stop();
    await transport?.close();
    await database?.remove();
    vhost?.remove();
  });

  it("finishes them after a restart, with no new order placed", async () => {
    service = await startOrderService({
      ...database.location,
      transport,
      logger,
      port: 0,
      stepDeadlineMs: STEP_DEADLINE_MS,
      deadlinePollMs: 100,
    });
    const sagas = new Map<number, SagaView>();
    await waitFor(
      async () => {
        for (const id of [unpublished, unanswered]) {
          const saga = (await (await fetch(`${service!.url}/sagas/${id}`)).json()) as SagaView;
          if (saga.status === "succeeded") sagas.set(id, saga);
        }
        return sagas.size === 2;
      },
      20_000,
      () => JSON.stringify([...sagas.keys()]),
    );
    const notes = sagas.get(unanswered)!.history!.filter((entry) => entry.detail !== undefined);
    expect(notes[0]?.detail).toMatchObject({
      deadline: "passed",
      resent: "verifyConsumerDetails",
      attempt: 2,
    });
    expect(sagas.get(unpublished)!.history!.filter((entry) => entry.detail !== undefined)).toEqual([]);
  });
});
