import { deadLetterQueue } from "./dead-letter.js";
import type { MessageProperties, QueuedMessage, Transport } from "./transport.js";

/** One dead-lettered message as operators see it (snake_case, like the rest of the HTTP API). */
export interface DeadLetter {
  /** The dead-letter queue holding it, e.g. `restaurant_service.commands.dlq`. */
  readonly queue: string;
  readonly message_id: string;
  readonly type: string;
  readonly correlation_id: string | null;
  readonly error_code: string;
  readonly reason: string;
  /** Where it came from and where a replay sends it. */
  readonly original_queue: string;
  /** When it was dead-lettered (ISO 8601). */
  readonly dead_lettered_at: string | null;
  /** Replays so far; a message that fails again comes back with this count. */
  readonly replay_count: number;
  /** The body as JSON when it parses, else the raw text. */
  readonly payload: unknown;
}

/** Which dead letters of a queue an operation takes: one message id, or all of them. */
export type DeadLetterSelection = { readonly messageId: string } | { readonly all: true };

/** The dead-letter headers the runtime (or the broker, for x-death) adds; a replay takes them off again. */
const DEAD_LETTER_HEADERS = [
  "x-error-code",
  "x-error-reason",
  "x-original-queue",
  "x-original-type",
  "x-original-delivery-count",
  "x-dead-lettered-at",
  "x-death",
  "x-first-death-exchange",
  "x-first-death-queue",
  "x-first-death-reason",
  "x-last-death-exchange",
  "x-last-death-queue",
  "x-last-death-reason",
];

/** The header counting replays; it survives the next dead-lettering, so the history is kept. */
export const REPLAY_COUNT_HEADER = "x-replay-count";

/** `restaurant_service.commands` and `restaurant_service.commands.dlq` both name the latter. */
export const asDeadLetterQueue = (queue: string): string =>
  queue.endsWith(".dlq") ? queue : deadLetterQueue(queue);

/** The dead letters a queue holds, oldest first (at most `limit`); nothing is taken out of the queue. */
export async function listDeadLetters(
  transport: Transport,
  queue: string,
  limit = 1000,
): Promise<DeadLetter[]> {
  const dlq = asDeadLetterQueue(queue);
  const found: DeadLetter[] = [];
  await transport.sweep(
    dlq,
    async (message) => {
      found.push(describe(dlq, message));
      return "keep";
    },
    { limit },
  );
  return found;
}

/**
 * Publishes the selected dead letters back to their original queue, with their message id (so deduplication still
 * holds) and `x-replay-count` one higher, and removes each from the dead-letter queue once the broker confirmed it.
 * Returns the replayed messages.
 */
export function replayDeadLetters(
  transport: Transport,
  queue: string,
  selection: DeadLetterSelection,
): Promise<DeadLetter[]> {
  return takeSelected(transport, queue, selection, (letter, message) =>
    transport.publish({
      exchange: "",
      routingKey: letter.original_queue,
      body: message.body,
      properties: { ...message.properties, headers: replayHeaders(message.properties, letter.replay_count) },
    }),
  );
}

/** Removes the selected dead letters for good; returns what was removed. */
export function discardDeadLetters(
  transport: Transport,
  queue: string,
  selection: DeadLetterSelection,
): Promise<DeadLetter[]> {
  return takeSelected(transport, queue, selection, async () => {});
}

/** Takes the selected messages out of the dead-letter queue, each after `beforeRemove` resolved for it. */
async function takeSelected(
  transport: Transport,
  queue: string,
  selection: DeadLetterSelection,
  beforeRemove: (letter: DeadLetter, message: QueuedMessage) => Promise<void>,
): Promise<DeadLetter[]> {
  const dlq = asDeadLetterQueue(queue);
  const taken: DeadLetter[] = [];
  await transport.sweep(dlq, async (message) => {
    if (!selected(message, selection)) return "keep";
    const letter = describe(dlq, message);
    await beforeRemove(letter, message);
    taken.push(letter);
    return "remove";
  });
  return taken;
}

const selected = (message: QueuedMessage, selection: DeadLetterSelection): boolean =>
  "all" in selection || message.properties.messageId === selection.messageId;

function replayHeaders(properties: MessageProperties, replays: number): Record<string, unknown> {
  const headers: Record<string, unknown> = { ...properties.headers };
  for (const name of DEAD_LETTER_HEADERS) delete headers[name];
  headers[REPLAY_COUNT_HEADER] = replays + 1;
  return headers;
}

function describe(dlq: string, message: QueuedMessage): DeadLetter {
  const { headers } = message.properties;
  const death = firstDeath(headers);
  const text = message.body.toString("utf8");
  return {
    queue: dlq,
    message_id: message.properties.messageId,
    type: message.properties.type,
    correlation_id: message.properties.correlationId ?? null,
    error_code: stringHeader(headers["x-error-code"]) ?? (death ? "BROKER_DEAD_LETTERED" : "UNKNOWN"),
    reason: stringHeader(headers["x-error-reason"]) ?? death?.reason ?? "",
    original_queue:
      stringHeader(headers["x-original-queue"]) ??
      death?.queue ??
      stringHeader(headers["x-first-death-queue"]) ??
      dlq.replace(/\.dlq$/, ""),
    dead_lettered_at:
      stringHeader(headers["x-dead-lettered-at"]) ??
      death?.time ??
      (message.properties.timestamp ? new Date(message.properties.timestamp * 1000).toISOString() : null),
    replay_count: Number(headers[REPLAY_COUNT_HEADER] ?? 0) || 0,
    payload: parseOrText(text),
  };
}

/** RabbitMQ's own dead-lettering (a quorum queue's delivery limit) records an `x-death` list, newest first. */
function firstDeath(
  headers: Readonly<Record<string, unknown>>,
): { queue?: string; reason?: string; time?: string } | undefined {
  const deaths = headers["x-death"];
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const last = deaths[deaths.length - 1] as Record<string, unknown>;
  const time = last["time"] as { value?: number } | undefined;
  return {
    ...(typeof last["queue"] === "string" ? { queue: last["queue"] } : {}),
    ...(typeof last["reason"] === "string" ? { reason: `broker: ${last["reason"]}` } : {}),
    ...(typeof time?.value === "number" ? { time: new Date(time.value * 1000).toISOString() } : {}),
  };
}

const stringHeader = (value: unknown): string | undefined =>
  typeof value === "string" ? value : Buffer.isBuffer(value) ? value.toString("utf8") : undefined;

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
