import { hasCode, type Logger } from "@asyncgen/runtime";
import { SAGA_ERROR_CODES } from "./errors.js";

/** The least an outbox row carries: its id, and the message id it is published with (for the logs). */
export interface OutboxRowRef {
  readonly id: number;
  readonly messageId: string;
}

/** Where the relay reads unsent rows from and marks them sent: a service's database. */
export interface OutboxSource<Row extends OutboxRowRef> {
  pendingOutbox(limit: number): Row[] | Promise<Row[]>;
  markSent(ids: readonly number[]): void | Promise<void>;
  /**
   * Sets a row aside with the reason, after the broker refused it `maxRefusals` times: it is no longer pending, and
   * it stays in the table (unsent) for someone to look at.
   */
  park(id: number, reason: string): void | Promise<void>;
  /**
   * Hands back rows this relay could not publish because the broker was unreachable, for another instance's relay
   * (a store whose rows are leased to one instance; without it they stay for this relay's next pass).
   */
  release?(ids: readonly number[]): void | Promise<void>;
  /**
   * For a source whose transactions insert their outbox rows already held by this instance (PostgreSQL): it is given
   * the function to hand them to the relay with once they committed, and the relay publishes them without reading
   * the outbox. Its `pendingOutbox` then returns only rows nobody holds.
   */
  handOver?(deliver: (rows: readonly Row[]) => void): void;
}

/**
 * Refusals of one row before it is parked: with the backoff below (from 0.5 s at the default interval, doubling up
 * to 60 s), about five minutes of trying.
 */
export const DEFAULT_MAX_REFUSALS = 12;

/** The longest a row the broker refused waits before it is tried again. */
const MAX_REFUSED_BACKOFF_MS = 60_000;
/** While the broker cannot be reached, one log line per this interval says how many publishes failed. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/**
 * Publishes what a service's transactions recorded in its outbox, and marks each row sent once the broker confirmed it.
 * A crash between confirm and mark resends the row: receivers deduplicate, so that is safe, while losing it is not.
 * A mark the database refused is tried again at the next pass, and the row is not published again meanwhile.
 * Runs after each commit and on a timer (for rows left by a crash or a broker outage). A commit's rows are either
 * read from the outbox (`afterCommit`), or, from a source that hands them over, published as handed, with no read.
 *
 * A row the broker refuses (no queue for its routing key, e.g. a reply_to queue deleted; or a negative confirm) stays
 * in the outbox and is tried again with exponential backoff, logged at its 1st, 2nd, 4th, 8th ... attempt, while the
 * rows behind it flow; after `maxRefusals` refusals it is parked (SAGA_OUTBOX_PARKED): kept unsent with the reason,
 * no longer tried, for an operator to see. While the broker cannot be reached at all, every pass fails: that is logged once per 10 s with
 * the count, the rows are handed back (`release`, for a store whose rows are leased to one instance), and the timer
 * keeps trying.
 */
export class OutboxRelay<Row extends OutboxRowRef> {
  readonly #source: OutboxSource<Row>;
  readonly #publish: (row: Row) => Promise<void>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #maxRefusals: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  /** The source hands its committed rows over: a commit needs no read of the outbox. */
  readonly #handsOver: boolean;
  /** Rows handed over and not yet published. */
  #handed: Row[] = [];
  /** A read of the outbox was asked for (the timer, or a commit of a source that does not hand its rows over). */
  #readWanted = false;
  #stopped = false;
  /** Rows the broker refused, by message id: how often, and when they may be tried again. */
  readonly #refused = new Map<string, { attempts: number; retryAt: number }>();
  /** The rows refused and not yet parked, by id, until their retry is due. */
  readonly #waiting = new Map<number, Row>();
  #outageLoggedAt = 0;
  #outageFailures = 0;
  /**
   * Rows the broker confirmed whose sent mark failed (database busy or gone): marked again at the next pass, never
   * published again by this relay. A source that hands its rows over would not read them again either: they are
   * held by this instance until marked.
   */
  readonly #unmarked = new Set<number>();

  constructor(
    source: OutboxSource<Row>,
    publish: (row: Row) => Promise<void>,
    logger: Logger,
    intervalMs = 500,
    maxRefusals = DEFAULT_MAX_REFUSALS,
  ) {
    this.#source = source;
    this.#publish = publish;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#maxRefusals = maxRefusals;
    this.#handsOver = source.handOver !== undefined;
    source.handOver?.((rows) => {
      this.#handed.push(...rows);
      this.#run();
    });
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
    this.#readWanted = true;
    this.#run();
  }

  /** Rows were committed: read them, unless the source hands them over (they are on their way already). */
  afterCommit(): void {
    if (!this.#handsOver) this.kick();
  }

  #run(): void {
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
        this.#run();
      }
    });
  }

  async #drain(): Promise<void> {
    if (this.#unmarked.size > 0 && !(await this.#markSent([]))) return;
    for (;;) {
      if (this.#handed.length > 0) {
        const handed = this.#handed;
        this.#handed = [];
        if (!(await this.#publishRows(handed))) return;
        continue;
      }
      if (!this.#readWanted) return;
      this.#readWanted = false;
      for (;;) {
        const limit = 256 + this.#refused.size;
        const read = await this.#source.pendingOutbox(limit);
        // The timer retries: do not spin against a broker that is down, nor on rows waiting out their backoff.
        if (!(await this.#publishRows(read))) return;
        // A short read found everything that was waiting: rows committed since then start a pass of their own, so
        // asking again now would only cost a read that finds nothing.
        if (read.length < limit) break;
      }
    }
  }

  /**
   * Publishes `rows`, with the refused rows whose retry is due, and marks the confirmed ones sent; true when every
   * row was. A row the broker refuses waits here for its retry (it never hides the rows behind it, and stays this
   * relay's: a refusal would be the same elsewhere); one it could not publish at all is handed back (`release`).
   */
  async #publishRows(rows: readonly Row[]): Promise<boolean> {
    const now = Date.now();
    // A waiting row read again (a source that returns every unsent row) is the one waiting here.
    // So is a row published and waiting for its sent mark: it is not published twice.
    const due = rows.filter((row) => !this.#waiting.has(row.id) && !this.#unmarked.has(row.id));
    for (const [id, row] of this.#waiting) {
      if (this.#refused.get(row.messageId)!.retryAt > now) continue;
      this.#waiting.delete(id);
      due.push(row);
    }
    if (due.length === 0) return rows.length === 0;
    const results = await Promise.allSettled(due.map((row) => this.#publish(row)));
    const sent = due.filter((_, index) => results[index]!.status === "fulfilled");
    const marked = sent.length === 0 || (await this.#markSent(sent.map((row) => row.id)));
    for (const row of sent) this.#refused.delete(row.messageId);
    const unreachable: number[] = [];
    for (const [index, result] of results.entries()) {
      if (result.status === "fulfilled") continue;
      const row = due[index]!;
      if (hasCode(result.reason, "AMQP_UNROUTABLE") || hasCode(result.reason, "AMQP_NACKED")) {
        if (this.#refusedByBroker(row, result.reason, now)) await this.#park(row, result.reason);
        else this.#waiting.set(row.id, row);
      } else {
        this.#brokerUnreachable(row, result.reason, now);
        unreachable.push(row.id);
      }
    }
    if (unreachable.length > 0) await this.#source.release?.(unreachable);
    return marked && sent.length === due.length;
  }

  /** Marks `ids` and the rows whose mark failed before sent; false (logged) when the database refused, to retry. */
  async #markSent(ids: readonly number[]): Promise<boolean> {
    const marking = this.#unmarked.size > 0 ? [...this.#unmarked, ...ids] : ids;
    try {
      await this.#source.markSent(marking);
    } catch (error) {
      for (const id of ids) this.#unmarked.add(id);
      this.#logger.error(
        { err: error, outboxRows: marking.length },
        "outbox rows published but not marked sent; will mark them at the next pass",
      );
      return false;
    }
    // Passes run one at a time: nothing joined the set while this mark was in flight.
    this.#unmarked.clear();
    return true;
  }

  /** Counts a refusal and plans the retry; true when the row has been refused too often and is to be parked. */
  #refusedByBroker(row: Row, error: unknown, now: number): boolean {
    const attempts = (this.#refused.get(row.messageId)?.attempts ?? 0) + 1;
    if (attempts >= this.#maxRefusals) return true;
    const backoffMs = Math.min(this.#intervalMs * 2 ** (attempts - 1), MAX_REFUSED_BACKOFF_MS);
    this.#refused.set(row.messageId, { attempts, retryAt: now + backoffMs });
    if ((attempts & (attempts - 1)) === 0) {
      this.#logger.error(
        { err: error, outboxRow: row.id, messageId: row.messageId, attempt: attempts, retryInMs: backoffMs },
        "outbox publish failed; will retry",
      );
    }
    return false;
  }

  async #park(row: Row, error: unknown): Promise<void> {
    const code = (error as { code?: string }).code ?? "UNKNOWN";
    const message = error instanceof Error ? error.message : String(error);
    const reason = `${code}: ${message} (refused ${this.#maxRefusals} times)`;
    await this.#source.park(row.id, reason);
    this.#refused.delete(row.messageId);
    this.#logger.error(
      { err: error, code: "SAGA_OUTBOX_PARKED", outboxRow: row.id, messageId: row.messageId, reason },
      `outbox row parked: ${SAGA_ERROR_CODES.SAGA_OUTBOX_PARKED}`,
    );
  }

  #brokerUnreachable(row: Row, error: unknown, now: number): void {
    this.#outageFailures++;
    if (now - this.#outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) return;
    this.#logger.error(
      { err: error, outboxRow: row.id, messageId: row.messageId, failedPublishes: this.#outageFailures },
      "outbox publish failed; will retry",
    );
    this.#outageLoggedAt = now;
    this.#outageFailures = 0;
  }
}
