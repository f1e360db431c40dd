import pg from "pg";
import type { Logger } from "@asyncgen/runtime";
import type { SqlStatement, TransitionEvent, TransitionListeners } from "../sql.js";

/** The NOTIFY channel every instance's commits announce their transitions on. */
const CHANNEL = "saga_transitions";

/** Run inside a transition's transaction: delivered to every listening instance when, and only if, it commits. */
export function notifyTransition(event: TransitionEvent): SqlStatement {
  return { sql: `SELECT pg_notify(?, ?)`, params: [CHANNEL, JSON.stringify(event)] };
}

/**
 * Hears every instance's transitions on a connection of its own (LISTEN) and hands them to `listeners`. Losing the
 * connection (server restart, network cut) is logged and it connects again a second later; transitions committed
 * meanwhile are not streamed (the dashboard also polls).
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
        this.#listeners.emit(JSON.parse(message.payload ?? "") as TransitionEvent);
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
