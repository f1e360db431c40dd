import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino, type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAmqp, type OutgoingMessage, type Transport } from "@asyncgen/runtime";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { startOrderService, type RunningOrderService } from "../src/service.js";
import { SagaCompletions } from "../testing/saga-completions.js";
import { startParticipants } from "../testing/participants.js";
import { createTestDatabase } from "../testing/postgres.js";
import { waitFor } from "../testing/system-under-test.js";
import { expectAdvancedOnce, expectEffectsOnce, finishedSagas, placeOrders } from "../testing/saga-checks.js";

/**
 * Two order-service instances on one PostgreSQL database and one RabbitMQ vhost, with the three participants, driven
 * through both HTTP APIs. Step deadlines are short and approve_ticket fails transiently half the time, so resends,
 * late replies and both instances' deadline pollers race on the same sagas; each saga must still advance once.
 */
const STEP_DEADLINE_MS = 150;

interface Instance {
  readonly service: RunningOrderService;
  readonly transport: Transport;
  /** Message ids this instance's relay published. */
  readonly published: string[];
  /** Its log lines, parsed. */
  readonly logs: { level: number; msg: string }[];
}

let vhost: ReturnType<typeof createTestVhost>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let participantsTransport: Transport;
let participants: { stop(): Promise<void> };
let instances: Instance[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), "two-instances-"));

/** Records the id of every message published through the transport. */
function recordingPublishes(transport: Transport, published: string[]): Transport {
  return new Proxy(transport, {
    get(target, property) {
      if (property === "publish")
        return (message: OutgoingMessage) => {
          published.push(message.properties.messageId);
          return target.publish(message);
        };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function capturingLogger(lines: { level: number; msg: string }[]): Logger {
  return pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
}

async function startInstance(name: string): Promise<Instance> {
  const published: string[] = [];
  const logs: Instance["logs"] = [];
  const logger = capturingLogger(logs);
  const transport = await connectAmqp(vhost.url, { logger, connectionName: `order-service-${name}` });
  const service = await startOrderService({
    transport: recordingPublishes(transport, published),
    logger,
    databaseUrl: database.url,
    port: 0,
    stepDeadlineMs: STEP_DEADLINE_MS,
    maxResends: 10,
    deadlinePollMs: 50,
  });
  return { service, transport, published, logs };
}

beforeAll(async () => {
  vhost = createTestVhost("two-instances");
  database = await createTestDatabase("two_instances");
  const logger = pino({ level: "silent" });
  participantsTransport = await connectAmqp(vhost.url, { logger, connectionName: "participants" });
  participants = await startParticipants({
    transport: participantsTransport,
    dataDir,
    logger,
    approveTicketFailureRate: 0.5,
  });
  // Both start at once: the second waits on the first's migrations (advisory lock), then finds the schema current.
  instances = await Promise.all([startInstance("a"), startInstance("b")]);
}, 60_000);

afterAll(async () => {
  for (const instance of instances) {
    await instance.service.stop();
    await instance.transport.close();
  }
  await participants?.stop();
  await participantsTransport?.close();
  await database?.drop();
  vhost?.remove();
});

describe("two order-service instances on one PostgreSQL database", () => {
  it("advance every saga exactly once while replies and deadlines race", async () => {
    const urls = instances.map((instance) => instance.service.url);
    const streamOfFirst = await SagaCompletions.connect(urls[0]!);
    const placed = await placeOrders(urls, 30);
    // Read through one instance: it sees the sagas the other one took as well.
    const sagas = await finishedSagas(
      urls[1]!,
      placed.map(({ id }) => id),
    );
    for (const { id, scenario } of placed) expectAdvancedOnce(sagas.get(id)!, scenario);
    await expectEffectsOnce({ dataDir }, urls[0]!, placed);

    // The first instance's live stream (/events) reports the end of every saga, those the other one ran included.
    let endsStreamed = 0;
    for (const { id } of placed) void streamOfFirst.done(id).then(() => endsStreamed++);
    await waitFor(
      () => endsStreamed === placed.length,
      10_000,
      () => `${endsStreamed}/${placed.length}`,
    );
    streamOfFirst.close();

    // Both instances took part, no outbox row went out through both relays, and no race was reported as a failure.
    const [a, b] = instances as [Instance, Instance];
    expect(a.published.length).toBeGreaterThan(0);
    expect(b.published.length).toBeGreaterThan(0);
    expect(a.published.filter((messageId) => b.published.includes(messageId))).toEqual([]);
    for (const instance of instances)
      expect(instance.logs.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([]);
    const conflicts = instances.flatMap((instance) =>
      instance.logs.filter((line) => line.msg.startsWith("concurrent update")),
    ).length;
    const resent = [...sagas.values()].flatMap((saga) =>
      saga.history!.filter((h) => h.detail !== undefined),
    ).length;
    console.info(`two instances: ${conflicts} concurrent updates retried, ${resent} resend/retry notes`);
  }, 120_000);
});
