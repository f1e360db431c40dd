import pg from "pg";
import type { Logger } from "@asyncgen/runtime";
import type { TransitionEvent, TransitionListeners } from "../sql.js";

/** The NOTIFY channel every instance's commits announce their transitions on. */
const CHANNEL = "saga_transitions";

/** NOTIFY payloads must stay below 8000 bytes; events are sent in arrays of at most this much JSON. */
const MAX_PAYLOAD = 7000;

/**
 * Announces committed transitions to every listening instance, after their commit and outside their transaction:
 * a NOTIFY inside a transaction takes a cluster-wide lock at commit and holds it through the WAL flush, so every
 * notifying commit would wait for the one before it. Here the events of each batch go out in one statement, one at
 * a time in commit order (those committed meanwhile join the next), on the asynchronous-commit pool: a notification
 * needs no durable commit. One lost (a connection failure, a crash right after the commit) is logged; the dashboard
 * also polls, and the order service's `/events` finds the ends it missed in the database (its SagaEnds).
 */
export class TransitionNotifier {
  readonly #pool: pg.Pool;
  readonly #logger: Logger;
  #queued: TransitionEvent[] = [];
  #sending: Promise<void> | undefined;

  constructor(pool: pg.Pool, logger: Logger) {
    this.#pool = pool;
    this.#logger = logger;
  }

  announce(events: readonly TransitionEvent[]): void {
    this.#queued.push(...events);
    this.#sending ??= this.#send().finally(() => (this.#sending = undefined));
  }

  /** Resolves once every event announced so far was sent (or given up on). */
  async flushed(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  async #send(): Promise<void> {
    while (this.#queued.length > 0) {
      const events = this.#queued;
      this.#queued = [];
      try {
        await this.#pool.query(
          `SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n`,
          [CHANNEL, payloads(events)],
        );
      } catch (error) {
        this.#logger.warn({ err: error, events: events.length }, "transitions committed but not announced");
      }
    }
  }
}

/** The events as JSON arrays, each small enough for one notification. */
function payloads(events: readonly TransitionEvent[]): string[] {
  const chunks: string[] = [];
  let chunk: string[] = [];
  let size = 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    if (chunk.length > 0 && size + json.length + 1 > MAX_PAYLOAD) {
      chunks.push(`[${chunk.join(",")}]`);
      chunk = [];
      size = 2;
    }
    chunk.push(json);
    size += json.length + 1;
  }
  if (chunk.length > 0) chunks.push(`[${chunk.join(",")}]`);
  return chunks;
}

/**
 * Hears every instance's transitions on a connection of its own (LISTEN) and hands them to `listeners`. Losing the
 * connection (server restart, network cut) is logged and it connects again a second later; transitions committed
 * meanwhile are not streamed (the dashboard also polls; the order service's `/events` reads the ends it missed).
 */
export class TransitionListener {
  readonly #url: string;
  readonly #listeners: TransitionListeners;
  readonly #logger: Logger;
  #client: pg.Client | undefined;
  #stopped = false;

  constructor(url: string, listeners: TransitionListeners, logger: Logger) {
    this.#url = url;
    this.#listeners = listeners;
    this.#logger = logger;
  }

  /** Resolves once listening, or once a retry is planned. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    this.#client = client;
    client.on("notification", (message) => {
      try {
        // An array of events; a single one from an instance of an earlier version.
        const events = JSON.parse(message.payload ?? "") as TransitionEvent | TransitionEvent[];
        for (const event of Array.isArray(events) ? events : [events]) this.#listeners.emit(event);
      } catch (error) {
        this.#logger.error({ err: error, payload: message.payload }, "transition notification not delivered");
      }
    });
    client.on("error", (error) =>
      this.#logger.warn({ err: error }, "transition listener lost PostgreSQL; reconnecting"),
    );
    client.on("end", () => this.#again(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      this.#logger.warn({ err: error }, "transition listener could not LISTEN; retrying");
      await client.end().catch(() => {});
      this.#again(client);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  /** Connects again a second after `client` was lost, unless it was already replaced or the listener stopped. */
  #again(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    const retry = () => {
      if (!this.#client && !this.#stopped) void this.start();
    };
    setTimeout(retry, 1000).unref();
  }
}
