import amqp from "amqplib";

/**
 * A plain amqplib responder, one process per queue (what a participant service is, without the toolkit): consumes
 * requests from a quorum queue, publishes a persistent reply with a confirm, acks the request after the confirm.
 * Started by plain-saga.ts; prints "ready" once consuming and exits when its stdin closes.
 */
const [url, queue] = process.argv.slice(2) as [string, string];
const connection = await amqp.connect(url, { noDelay: true });
const publisher = await connection.createConfirmChannel();
const consumer = await connection.createChannel();
await consumer.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
await consumer.prefetch(64);
await consumer.consume(queue, (msg) => {
  if (!msg) return;
  JSON.parse(msg.content.toString());
  publisher.publish(
    "",
    msg.properties.replyTo as string,
    Buffer.from(JSON.stringify({ ok: true })),
    { persistent: true, mandatory: true, correlationId: msg.properties.correlationId as string },
    (err) => {
      if (!err) consumer.ack(msg);
    },
  );
});
console.log("ready");
process.stdin.resume();
process.stdin.on("end", () => void connection.close().finally(() => process.exit(0)));
