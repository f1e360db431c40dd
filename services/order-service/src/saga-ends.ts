import { TERMINAL, type SagaDatabase, type TransitionEvent } from "@asyncgen/saga";
import type { Logger } from "pino";

/** How often the database is read for ends nobody announced. */
const SWEEP_INTERVAL_MS = 1000;
/** An end younger than this is left to its NOTIFY, which follows its commit within milliseconds. */
const GRACE_MS = 1000;
/**
 * How far back each read looks: an end is stamped (updated_at) just before its transaction commits, so the commit
 * may come a little after the time it carries; ends stamped before this are taken as heard.
 */
const LOOK_BACK_MS = 5000;

/** `?`: from, to (updated_at), the sagas already heard (an anti-join: a hash of them, not a scan per row). */
const ENDS_NOT_HEARD = `SELECT s.id, s.status FROM sagas AS s
  WHERE s.status IN (${[...TERMINAL].map((status) => `'${status}'`).join(", ")})
    AND s.updated_at >= ? AND s.updated_at < ?
    AND NOT EXISTS (SELECT 1 FROM unnest(?::bigint[]) AS heard (id) WHERE heard.id = s.id)
  ORDER BY s.updated_at, s.id`;

/** What SagaEnds needs of the saga store. */
type EndsSource = Pick<SagaDatabase<unknown>, "dialect" | "subscribe" | "all">;

/**
 * The transitions `/events` streams, with every saga's end in them once. On PostgreSQL each instance hears every
 * instance's commits through NOTIFY, sent after the commit: an instance killed between its commit and its NOTIFY
 * never announces that commit, and a saga it finished would look unfinished to every client of every other
 * instance. So while anyone listens, the ends of the last seconds are read from the database every second (through
 * `sagas_finished`), and one nobody announced is passed on then; an end heard both ways is passed on once.
 * On SQLite the one process that commits also announces, so only its own events are passed on.
 */
export class SagaEnds {
  readonly #store: EndsSource;
  readonly #logger: Logger;
  readonly #listeners = new Set<(event: TransitionEvent) => void>();
  /** Sagas whose end was passed on, with when: kept for as long as a read can find them again. */
  readonly #heard = new Map<number, number>();
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** When the first listener came: an end stamped before it was never this instance's to hear. */
  #since = 0;
  #sweeping: Promise<void> | undefined;

  constructor(store: EndsSource, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Hears every transition, each saga's end once; returns the unsubscribe. */
  subscribe(listener: (event: TransitionEvent) => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) void this.stop();
    };
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  #start(): void {
    this.#unsubscribe = this.#store.subscribe((event) => this.#pass(event));
    if (this.#store.dialect !== "postgres") return;
    this.#since = Date.now();
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    }, SWEEP_INTERVAL_MS);
    this.#timer.unref();
  }

  #pass(event: TransitionEvent): void {
    if (this.#timer && TERMINAL.has(event.status)) {
      if (this.#heard.has(event.saga)) return;
      this.#heard.set(event.saga, Date.now());
    }
    for (const listener of this.#listeners) listener(event);
  }

  async #sweep(): Promise<void> {
    const now = Date.now();
    for (const [saga, at] of this.#heard) if (at < now - 2 * LOOK_BACK_MS) this.#heard.delete(saga);
    try {
      const ended = await this.#store.all<{ id: number | string; status: string }>(ENDS_NOT_HEARD, [
        new Date(Math.max(now - LOOK_BACK_MS, this.#since)).toISOString(),
        new Date(now - GRACE_MS).toISOString(),
        [...this.#heard.keys()],
      ]);
      for (const { id, status } of ended) {
        if (!this.#timer) return; // stopped meanwhile
        this.#logger.info(
          { saga: Number(id), status },
          "saga ended without an announcement (its instance stopped before its NOTIFY); announced from the database",
        );
        this.#pass({ saga: Number(id), status });
      }
    } catch (error) {
      this.#logger.warn({ err: error }, "could not read the sagas that ended recently; will retry");
    }
  }
}
