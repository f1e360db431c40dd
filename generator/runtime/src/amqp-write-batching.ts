import type { ChannelModel } from "amqplib";

/** The part of a socket that write batching touches. */
export interface CorkableStream {
  write(...args: unknown[]): boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Makes the frames one event-loop turn writes leave in one `writev` instead of one syscall (and, with noDelay, one
 * TCP packet) per frame. The saga package's PostgreSQL pools use it too (pg writes each query on its own).
 * amqplib writes every frame to the socket on its own, so a turn that acks a delivery and
 * publishes its reply, or a relay pass that publishes 50 messages, costs as many syscalls in this process and as
 * many packets for the broker to read. The socket is corked at the turn's first write and uncorked on the next tick:
 * nothing waits for a timer, and what a turn wrote is on the wire before any I/O callback runs.
 * It is the broker that gains most: it reads and handles one packet instead of many.
 */
export function batchWritesPerTurn(stream: CorkableStream): void {
  const write = stream.write.bind(stream);
  let corked = false;
  const flush = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.write = (...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(flush);
    }
    return write(...args);
  };
}

/**
 * The socket under an amqplib connection, or undefined when amqplib no longer keeps it where 2.x does
 * (`ChannelModel.connection.stream`); a test pins that, so an upgrade that moves it fails there, not silently here.
 */
export function amqpSocket(model: ChannelModel): CorkableStream | undefined {
  const stream = (model as unknown as { connection?: { stream?: Partial<CorkableStream> } }).connection
    ?.stream;
  return stream && typeof stream.write === "function" && typeof stream.cork === "function"
    ? (stream as CorkableStream)
    : undefined;
}
