import type { Channel, ConfirmChannel } from "amqplib";

/**
 * Plain amqplib with the system's persistence settings, for the baselines: quorum queues, persistent and mandatory
 * messages, publisher confirms (connections are opened with `noDelay`, as the runtime's are).
 */
export const QUORUM_QUEUE = { durable: true, arguments: { "x-queue-type": "quorum" } };

/** Publishes a persistent, mandatory JSON message; resolves on the broker's confirm. */
export function publishConfirmed(
  publisher: ConfirmChannel,
  queue: string,
  body: unknown,
  properties: { readonly correlationId: string; readonly replyTo?: string },
): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    publisher.publish(
      "",
      queue,
      Buffer.from(JSON.stringify(body)),
      { persistent: true, mandatory: true, contentType: "application/json", ...properties },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

/** Answers every request on `queue` at its reply_to, and acks the request once the reply is confirmed. */
export async function answerRequests(
  consumer: Channel,
  publisher: ConfirmChannel,
  queue: string,
): Promise<void> {
  await consumer.consume(queue, (msg) => {
    if (!msg) return;
    JSON.parse(msg.content.toString());
    void publishConfirmed(publisher, msg.properties.replyTo as string, null, {
      correlationId: msg.properties.correlationId as string,
    }).then(
      () => consumer.ack(msg),
      () => {}, // the run is over and the connection closing
    );
  });
}

/** Consumes a reply queue: each reply (parsed, acked) resolves the waiter registered under its correlation id. */
export async function consumeReplies(consumer: Channel, queue: string): Promise<Map<string, () => void>> {
  const waiting = new Map<string, () => void>();
  await consumer.consume(queue, (msg) => {
    if (!msg) return;
    JSON.parse(msg.content.toString());
    waiting.get(msg.properties.correlationId as string)?.();
    consumer.ack(msg);
  });
  return waiting;
}
