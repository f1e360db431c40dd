import { describe, expect, it } from "vitest";
import {
  createInProcessTransport,
  send,
  serve,
  type MessageContext,
  type ServiceSpec,
} from "../src/index.js";
import { sleep, until } from "./broker.js";
import { memoryLogger, Note } from "./fixtures.js";

/** serve() details that do not depend on the transport (checked on the in-process one). */
describe("serve", () => {
  const spec: ServiceSpec = {
    service: "notes",
    contractVersion: "1.0.0",
    queue: { name: "notes", durable: true, arguments: {} },
    operations: [{ operationId: "note", message: Note }],
  };
  const route = { exchange: "", routingKey: "notes" };

  it("refuses an implementation that lacks an operation's method, before consuming", async () => {
    const transport = createInProcessTransport();
    await expect(serve(transport, spec, { other: async () => {} })).rejects.toThrow(
      "notes: the implementation has no method note",
    );
    expect(transport.inspect("notes")).toEqual({ ready: 0, unacked: 0, messages: [] }); // never declared
  });

  it("acks only once the handler has finished, and calls it as a method of the implementation", async () => {
    const transport = createInProcessTransport();
    let finish = (): void => {};
    const implementation = {
      calls: 0,
      async note(this: { calls: number }) {
        this.calls++;
        await new Promise<void>((resolve) => (finish = resolve));
      },
    };
    await serve(transport, spec, implementation);
    await send(transport, route, Note, { n: 1 }, "1.0.0", { correlationId: "c" });
    await until(() => implementation.calls === 1, "the handler call");
    expect(transport.inspect("notes").unacked).toBe(1);
    finish();
    await until(() => transport.inspect("notes").unacked === 0, "the ack");
    await transport.close();
  });

  it("gives handlers a logger that names the message", async () => {
    const transport = createInProcessTransport();
    const logger = memoryLogger();
    await serve(
      transport,
      spec,
      { note: async (_: unknown, ctx: MessageContext) => ctx.logger.info({ step: "x" }, "working") },
      { logger },
    );
    const { messageId } = await send(transport, route, Note, { n: 1 }, "1.0.0", { correlationId: "saga-9" });
    await until(() => logger.entries.some((e) => e.msg === "working"), "the handler's log");
    expect(logger.entries.find((e) => e.msg === "working")!.obj).toMatchObject({
      step: "x",
      messageId,
      type: "calc.note",
      correlationId: "saga-9",
    });
    await transport.close();
  });

  it("close() does not wait out a retry delay: the failed message goes back to the queue at once", async () => {
    const transport = createInProcessTransport();
    let calls = 0;
    const server = await serve(
      transport,
      spec,
      {
        note: async () => {
          calls++;
          throw new Error("down");
        },
      },
      { retryDelayMs: () => 60_000 },
    );
    await send(transport, route, Note, { n: 1 }, "1.0.0", { correlationId: "c" });
    await until(() => calls === 1, "the first attempt");
    await sleep(20);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(20);
    expect(transport.inspect("notes")).toMatchObject({ ready: 1, unacked: 0 });
    expect(calls).toBe(1); // nobody consumes it any more
    await transport.close();
  });
});
