/**
 * Test helpers shared by the participants' tests (consumer, restaurant and accounting services): a logger that
 * records, a stand-in for the order service that records the replies it receives, and `npm start` of one service.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  OrderServiceClient,
  serveOrderService,
  type OrderServiceHandlers,
} from "@saga/generated/order-service";
import {
  createInProcessTransport,
  type Dedup,
  type MessageContext,
  type ServeOptions,
} from "@asyncgen/runtime";
import { openSqlite } from "@asyncgen/saga/sqlite";
import {
  createLogger,
  type ParticipantOptions,
  type RunningParticipant,
  type SqliteDatabase,
} from "../src/index.js";

export const REPO = path.resolve(import.meta.dirname, "../../..");

export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: Readonly<Record<string, unknown>>;
  readonly msg: string | undefined;
}

/** A MessageContext logger that keeps every entry. */
export function recordingLogger(): MessageContext["logger"] & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (fields: object, msg?: string): void =>
      void entries.push({ level, fields: fields as Record<string, unknown>, msg });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Polls until `check` holds; fails with `describe()` after the timeout. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => "",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ReceivedReply {
  /** The OrderServiceHandlers method the reply was dispatched to, e.g. `onCreateTicketSuccess`. */
  readonly operation: keyof OrderServiceHandlers;
  /** The AMQP type, e.g. `restaurant_service.create_ticket.response.success`. */
  readonly type: string;
  readonly correlationId: string | undefined;
  readonly payload: unknown;
}

/**
 * The order service's side of the conversation for tests: serve `handlers` with the generated serveOrderService and
 * every reply that arrives on create_order_saga_responses is recorded (validated by the runtime on the way in).
 * Serve with `options`: it turns off the runtime's duplicate filter, so a reply sent twice is recorded twice.
 */
export function replyRecorder() {
  const replies: ReceivedReply[] = [];
  const record =
    (operation: keyof OrderServiceHandlers) =>
    async (payload: unknown, context: MessageContext): Promise<void> =>
      void replies.push({ operation, type: context.type, correlationId: context.correlationId, payload });
  const handlers: OrderServiceHandlers = {
    onVerifyConsumerDetailsSuccess: record("onVerifyConsumerDetailsSuccess"),
    onVerifyConsumerDetailsFailure: record("onVerifyConsumerDetailsFailure"),
    onCreateTicketSuccess: record("onCreateTicketSuccess"),
    onCreateTicketFailure: record("onCreateTicketFailure"),
    onRejectTicketSuccess: record("onRejectTicketSuccess"),
    onAuthorizeCardSuccess: record("onAuthorizeCardSuccess"),
    onAuthorizeCardFailure: record("onAuthorizeCardFailure"),
    onApproveTicketSuccess: record("onApproveTicketSuccess"),
    onApproveTicketFailure: record("onApproveTicketFailure"),
  };
  const keepDuplicates: Dedup = { has: () => false, add: () => {} };
  const options: ServeOptions = { dedup: keepDuplicates };
  const forSaga = (correlationId: string) => replies.filter((r) => r.correlationId === correlationId);
  return {
    handlers,
    options,
    replies,
    forSaga,
    /** Waits until `count` replies of this saga arrived; returns them (all of them, in arrival order). */
    async waitFor(correlationId: string, count = 1, timeoutMs = 10_000): Promise<ReceivedReply[]> {
      await waitUntil(
        () => forSaga(correlationId).length >= count,
        timeoutMs,
        () => `waiting for ${count} replies of saga ${correlationId}; got ${JSON.stringify(replies)}`,
      );
      return forSaga(correlationId);
    },
  };
}

export interface StartedProcess {
  /** Everything the process group wrote to stdout and stderr so far. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM to the process group (as Ctrl-C in a terminal would); resolves when every process of it is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL to the process group: a crash, nothing gets to clean up; resolves when every process of it is gone. */
  kill(): Promise<void>;
}

/** `npm start -w services/<service>` from the repository root, in its own process group. */
export function npmStart(service: string, env: Record<string, string>): StartedProcess {
  const child = spawn("npm", ["start", "-w", `services/${service}`], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const chunks: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    stream.on("data", (chunk: Buffer) => chunks.push(String(chunk)));
  // The pipes close when the last process of the group holding them (npm, sh, tsx, node) has exited.
  let open = 2;
  const closed = new Promise<void>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) stream.on("close", () => --open === 0 && resolve());
  });
  const output = () => chunks.join("");
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  return {
    output,
    waitForOutput: (pattern, timeoutMs = 30_000) =>
      waitUntil(
        () => pattern.test(output()),
        timeoutMs,
        () => `for ${pattern} in:\n${output()}`,
      ),
    async kill() {
      signalGroup("SIGKILL");
      await closed;
    },
    async stop(timeoutMs = 10_000) {
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), timeoutMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** A fresh folder for a test's SQLite files. */
export function tempDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `${label}-`));
}

/**
 * A participant as it runs, on the in-process broker: the generated client sends its commands, the order service's
 * side records the replies, and `db` is a second connection to the service's database file for assertions.
 * `close()` stops it all.
 */
export async function inProcessParticipant(
  name: string,
  start: (options: ParticipantOptions) => Promise<RunningParticipant>,
) {
  const transport = createInProcessTransport();
  const recorder = replyRecorder();
  const orders = await serveOrderService(transport, recorder.handlers, recorder.options);
  const databaseFile = path.join(tempDir(name), `${name}.sqlite`);
  const service = await start({ transport, databaseFile, logger: createLogger(name, "silent") });
  const db: SqliteDatabase = openSqlite(databaseFile, []);
  return {
    transport,
    client: new OrderServiceClient(transport),
    recorder,
    db,
    /** Replies committed but not yet published. */
    unsentReplies: () =>
      (db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n,
    async close() {
      await service.stop();
      await orders.close();
      await transport.close();
      db.close();
    },
  };
}
