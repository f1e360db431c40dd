import type { Logger } from "pino";

/** The least an outbox row carries: its id, and the message id it is published with (for the logs). */
export interface OutboxRowRef {
  readonly id: number;
  readonly messageId: string;
}

/** Where the relay reads unsent rows from and marks them sent: a service's database. */
export interface OutboxSource<Row extends OutboxRowRef> {
  pendingOutbox(limit: number): Row[] | Promise<Row[]>;
  markSent(ids: readonly number[]): void | Promise<void>;
}

/**
 * Publishes what a service's transactions recorded in its outbox, and marks each row sent once the broker confirmed it.
 * A crash between confirm and mark resends the row: receivers deduplicate, so that is safe, while losing it is not.
 * Runs when kicked after a commit and on a timer (for rows left by a crash or a broker outage).
 */
export class OutboxRelay<Row extends OutboxRowRef> {
  readonly #source: OutboxSource<Row>;
  readonly #publish: (row: Row) => Promise<void>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    source: OutboxSource<Row>,
    publish: (row: Row) => Promise<void>,
    logger: Logger,
    intervalMs = 500,
  ) {
    this.#source = source;
    this.#publish = publish;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), this.#intervalMs);
    this.kick();
  }

  /** Stops the timer and waits for the pass in flight; rows it did not publish stay for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Drains the outbox now; concurrent kicks coalesce into one more pass. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const pass = this.#drain().catch((error: unknown) => {
      // Reading or marking the outbox failed (database busy or closing): the rows stay, the timer retries.
      this.#logger.error({ err: error }, "outbox relay pass failed; will retry");
    });
    this.#running = pass.finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const rows = await this.#source.pendingOutbox(256);
      if (rows.length === 0) return;
      const results = await Promise.allSettled(rows.map((row) => this.#publish(row)));
      const sent = rows.filter((_, index) => results[index]!.status === "fulfilled").map((row) => row.id);
      if (sent.length > 0) await this.#source.markSent(sent);
      let failed = 0;
      for (const [index, result] of results.entries()) {
        const row = rows[index]!;
        if (result.status === "rejected") {
          failed++;
          this.#logger.error(
            { err: result.reason, outboxRow: row.id, messageId: row.messageId },
            "outbox publish failed; will retry",
          );
        }
      }
      if (failed > 0) return; // the timer retries; do not spin against a broker that is down
    }
  }
}
