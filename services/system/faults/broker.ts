import { execFileSync } from "node:child_process";
import amqp, { type Options } from "amqplib";
import { sleep } from "./orders.js";

/** RabbitMQ as the fault suite drives it: restarts, and raw publish/get in the suite's private vhost. */

const rabbitmqctl = (...args: string[]): string =>
  execFileSync("rabbitmqctl", ["-q", ...args], { encoding: "utf8", stdio: "pipe", timeout: 60_000 });

let appStopped = false;

/** Brings the broker application back whatever happened, and waits until it accepts connections. */
export function ensureBrokerRunning(): void {
  if (!appStopped) return;
  rabbitmqctl("start_app");
  rabbitmqctl("await_startup");
  appStopped = false;
}

/**
 * Stops the RabbitMQ application (every connection of every vhost drops) for `downMs`, then starts it again. The
 * broker is shared with other test runs, so the outage is kept short and start_app always runs.
 */
export async function restartBroker(downMs: number): Promise<void> {
  appStopped = true;
  try {
    rabbitmqctl("stop_app");
    await sleep(downMs);
  } finally {
    ensureBrokerRunning();
  }
}

/** The suite must not leave the broker stopped when it is interrupted. */
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    ensureBrokerRunning();
    process.exit(130);
  });
}

export interface RawMessage {
  readonly queue: string;
  readonly body: string;
  readonly options: Options.Publish;
}

/** Publishes straight into queues of the vhost (default exchange), with publisher confirms. */
export async function publishRaw(amqpUrl: string, messages: readonly RawMessage[]): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    for (const m of messages) channel.publish("", m.queue, Buffer.from(m.body), m.options);
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

export interface DeadLetter {
  readonly queue: string;
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  readonly correlationId: string | undefined;
  readonly headers: Record<string, unknown>;
}

/** Takes every message out of the given dead-letter queues (the suite keeps what it read). */
export async function drainQueues(amqpUrl: string, queues: readonly string[]): Promise<DeadLetter[]> {
  const connection = await amqp.connect(amqpUrl);
  const taken: DeadLetter[] = [];
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) {
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (message === false) break;
        const { messageId, type, correlationId, headers } = message.properties;
        taken.push({ queue, messageId, type, correlationId, headers: headers ?? {} });
      }
    }
  } finally {
    await connection.close();
  }
  return taken;
}
