import amqp from "amqplib";
import { answerRequests, QUORUM_QUEUE } from "./plain-amqp.js";

/**
 * A plain amqplib responder, one process per queue (what a participant service is, without the toolkit). Started by
 * plain-saga.ts; prints "ready" once consuming and exits when its stdin closes.
 */
const [url, queue] = process.argv.slice(2) as [string, string];
const connection = await amqp.connect(url, { noDelay: true });
const publisher = await connection.createConfirmChannel();
const consumer = await connection.createChannel();
await consumer.assertQueue(queue, QUORUM_QUEUE);
await consumer.prefetch(64);
await answerRequests(consumer, publisher, queue);
console.log("ready");
process.stdin.resume();
process.stdin.on("end", () => void connection.close().finally(() => process.exit(0)));
