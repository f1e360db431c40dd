import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import amqp from "amqplib";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { consumeReplies, publishConfirmed, QUORUM_QUEUE } from "./plain-amqp.js";
import { WARM_UP_SECONDS } from "./warm-up.js";
import { brokerPid, CpuWindow } from "./process-usage.js";

export interface PlainShapeRun {
  readonly perSecond: number;
  /** CPU per saga of the requester, each responder and the RabbitMQ node, as for the system's rows. */
  readonly cpuMsPerSaga: Record<string, number>;
}

/**
 * The saga's messaging alone, on plain amqplib in the system's shape: a requester (the orchestrator) and three
 * responder processes (the participants), each saga four sequential round trips (consumer, restaurant, accounting,
 * restaurant), same persistence settings as the system (quorum queues, persistent messages, confirms, noDelay).
 * Next to the single-process ceiling, it shows what the deployment shape costs on this machine before any toolkit
 * work (validation, database transactions, outbox, HTTP) is added.
 */
export async function measurePlainSagaShape(
  seconds: number,
  inFlight: number,
  warmUpSeconds = WARM_UP_SECONDS,
): Promise<PlainShapeRun> {
  const vhost = createTestVhost("bench-plain-shape");
  const suffix = randomBytes(3).toString("hex");
  const participants = ["consumer", "restaurant", "accounting"].map((name) => `plain.${name}.${suffix}`);
  const steps = [participants[0]!, participants[1]!, participants[2]!, participants[1]!];
  const responders = participants.map((queue) =>
    spawn(
      process.execPath,
      ["--import", "tsx", path.join(import.meta.dirname, "plain-responder.ts"), vhost.url, queue],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    ),
  );
  const connection = await amqp.connect(vhost.url, { noDelay: true });
  try {
    await Promise.all(
      responders.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
            child.once("exit", (code) => reject(new Error(`plain responder exited with ${code}`)));
          }),
      ),
    );
    const publisher = await connection.createConfirmChannel();
    const consumer = await connection.createChannel();
    const replies = `plain.replies.${suffix}`;
    await consumer.assertQueue(replies, QUORUM_QUEUE);
    await consumer.prefetch(64);
    const waiting = await consumeReplies(consumer, replies);
    const roundTrip = async (queue: string, id: string) => {
      const replied = new Promise<void>((resolve) => waiting.set(id, resolve));
      await publishConfirmed(publisher, queue, { order_id: 1 }, { correlationId: id, replyTo: replies });
      await replied;
      waiting.delete(id);
    };
    const broker = brokerPid();
    const cpu = new CpuWindow(() => ({
      requester: process.pid,
      ...Object.fromEntries(responders.map((child, index) => [`responder ${index + 1}`, child.pid])),
      ...(broker ? { rabbitmq: broker } : {}),
    }));
    /** Keeps `inFlight` sagas going until `until`; returns how many completed. */
    const drive = async (until: number, label: string) => {
      let sagas = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async (_, worker) => {
          for (let saga = 0; Date.now() < until; saga++) {
            for (const [step, queue] of steps.entries())
              await roundTrip(queue, `${label}-${worker}-${saga}-${step}`);
            sagas++;
          }
        }),
      );
      return sagas;
    };
    await drive(Date.now() + warmUpSeconds * 1000, "warm-up"); // as the system's rows (WARM_UP_SECONDS)
    cpu.start();
    const sagas = await drive(Date.now() + seconds * 1000, "measured");
    const used = cpu.stop();
    return {
      perSecond: sagas / seconds,
      cpuMsPerSaga: Object.fromEntries(Object.entries(used).map(([name, ms]) => [name, ms / sagas])),
    };
  } finally {
    for (const child of responders) child.stdin!.end();
    await Promise.all(responders.map((child) => new Promise((resolve) => child.once("exit", resolve))));
    await connection.close().catch(() => {});
    vhost.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const run = await measurePlainSagaShape(Number(process.argv[3] ?? 6), Number(process.argv[2] ?? 64));
  console.log(JSON.stringify(run, null, 2));
}
