import { connectAmqp, createInProcessTransport, silentLogger, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parkedMessages,
  SAGA_SCHEMA,
  startOrchestrator,
  type Orchestrator,
  type SagaDatabase,
} from "../src/index.js";
import { SqliteSagaStore } from "../src/sqlite/index.js";
import { postgresBackend, sqliteBackend } from "./stores.js";
import { travelAgencyQueues } from "./trip-contract.js";
import { startParticipants } from "./trip-participants.js";
import { bookTripSaga, newTrip, type TripData } from "./trip-sagas.js";

/** How each transport is opened for a test: in memory, and RabbitMQ on a private vhost (with each store). */
const transports = [
  {
    name: "in-process",
    backend: sqliteBackend(),
    open: async () => ({ transport: createInProcessTransport(), remove: () => {} }),
  },
  ...[sqliteBackend(), postgresBackend("orchestrator")].map((backend) => ({
    name: `RabbitMQ (${backend.name})`,
    backend,
    open: async () => {
      const vhost = createTestVhost("saga-orchestrator");
      const transport = await connectAmqp(vhost.url, { logger: silentLogger });
      return { transport, remove: () => vhost.remove() };
    },
  })),
];

describe.each(transports)("startOrchestrator on the $name transport", ({ open, backend }) => {
  let transport: Transport;
  let remove: () => void;
  let stopParticipants: () => Promise<void>;
  let store: SagaDatabase<TripData>;
  let orchestrator: Orchestrator<TripData>;

  beforeAll(async () => {
    ({ transport, remove } = await open());
    stopParticipants = await startParticipants(transport);
    await backend.setUp();
    store = await backend.emptyStore<TripData>(bookTripSaga.type);
    orchestrator = await startOrchestrator({
      saga: bookTripSaga,
      store,
      transport,
      replies: travelAgencyQueues,
      deadlinePollMs: 100,
      relayIntervalMs: 100,
    });
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await stopParticipants?.();
    await backend.tearDown();
    await transport?.close();
    remove?.();
  });

  async function ended(id: number) {
    for (let i = 0; i < 200; i++) {
      const saga = await store.load(id);
      if (saga?.status === "succeeded" || saga?.status === "failed") return saga;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`saga ${id} did not end`);
  }

  it("runs a saga to its end: commands out through the outbox, replies routed back by correlation id", async () => {
    const ids = await Promise.all([orchestrator.start(newTrip()), orchestrator.start(newTrip())]);
    for (const id of ids) {
      expect(await ended(id)).toMatchObject({
        status: "succeeded",
        data: {
          reservation_id: expect.any(Number),
          seat_id: expect.any(Number),
          payment_id: expect.any(Number),
        },
      });
    }
    expect(await store.all(`SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL`)).toEqual([{ n: 0 }]);
  });

  it("compensates both bookings, each confirmed by its participant, when the charge is refused", async () => {
    const id = await orchestrator.start(newTrip({ amount: 5000 }));
    expect(await ended(id)).toMatchObject({
      status: "failed",
      failedStep: "charge",
      failureDetails: { reason: "5000 is over the limit" },
    });
    const history = await store.all<{ status: string }>(
      `SELECT status FROM saga_history WHERE saga_id = ? ORDER BY id`,
      [id],
    );
    expect(history.map((h) => h.status).filter((s) => s.endsWith(".compensated"))).toEqual([
      "book_seat.compensated",
      "book_room.compensated",
    ]);
  });
});

describe("startOrchestrator's outbox", () => {
  it("parks a command the broker keeps refusing (its queue does not exist), with the reason, for the dashboard", async () => {
    const transport = createInProcessTransport(); // no participant: hotel.commands was never declared
    const store = SqliteSagaStore.open<TripData>(":memory:", [SAGA_SCHEMA], bookTripSaga.type);
    const orchestrator = await startOrchestrator({
      saga: bookTripSaga,
      store,
      transport,
      replies: travelAgencyQueues,
      relayIntervalMs: 1,
      maxRefusals: 3,
    });
    try {
      const id = await orchestrator.start(newTrip());
      await expect
        .poll(() => parkedMessages(store), { timeout: 5000 })
        .toEqual([
          expect.objectContaining({
            type: "hotel.book_room",
            routing_key: "hotel.commands",
            park_reason: expect.stringMatching(/^AMQP_UNROUTABLE: .*hotel\.commands.* \(refused 3 times\)$/),
          }),
        ]);
      expect(await store.pendingOutbox(10)).toEqual([]); // no longer tried
      expect((await store.load(id))!.status).toBe("book_room.running"); // the saga's deadline still applies
    } finally {
      await orchestrator.stop();
      await store.close();
      await transport.close();
    }
  });
});

describe("startOrchestrator refuses what would only fail at a deadline", () => {
  it("SAGA_REPLY_NOT_CONSUMED: a step waits for a reply that no reply queue consumes", async () => {
    const transport = createInProcessTransport();
    const store = SqliteSagaStore.open<TripData>(":memory:", [SAGA_SCHEMA], bookTripSaga.type);
    try {
      const [queue] = travelAgencyQueues;
      const withoutCancelRoom = {
        ...queue!,
        operations: queue!.operations.filter(
          (op) => op.message.name !== "hotel.cancel_room.response.success",
        ),
      };
      await expect(
        startOrchestrator({ saga: bookTripSaga, store, transport, replies: [withoutCancelRoom] }),
      ).rejects.toMatchObject({
        code: "SAGA_REPLY_NOT_CONSUMED",
        message: expect.stringContaining("step book_room waits for hotel.cancel_room.response.success"),
      });
    } finally {
      await store.close();
      await transport.close();
    }
  });

  it("SAGA_INVALID_DEFINITION: two pivots, or two steps of one name", () => {
    const store = SqliteSagaStore.open<TripData>(":memory:", [SAGA_SCHEMA], "bad");
    const [first, second] = bookTripSaga.steps;
    return Promise.all([
      expect(
        startOrchestrator({
          saga: {
            ...bookTripSaga,
            steps: [
              { ...first!, pivot: true },
              { ...second!, pivot: true },
            ],
          },
          store,
          transport: createInProcessTransport(),
          replies: travelAgencyQueues,
        }),
      ).rejects.toMatchObject({
        code: "SAGA_INVALID_DEFINITION",
        message: "saga book_trip: has more than one pivot",
      }),
      expect(
        startOrchestrator({
          saga: { ...bookTripSaga, steps: [first!, first!] },
          store,
          transport: createInProcessTransport(),
          replies: travelAgencyQueues,
        }),
      ).rejects.toMatchObject({ code: "SAGA_INVALID_DEFINITION" }),
    ]).finally(() => store.close());
  });
});
