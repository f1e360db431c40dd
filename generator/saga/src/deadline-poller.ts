import type { Logger } from "@asyncgen/runtime";
import type { SagaEngine } from "./engine.js";
import type { SagaStore } from "./state.js";

/** Periodically hands sagas whose awaited reply is overdue to the engine's deadline policy. */
export class DeadlinePoller<Data> {
  readonly #engine: SagaEngine<Data>;
  readonly #store: SagaStore<Data>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(engine: SagaEngine<Data>, store: SagaStore<Data>, logger: Logger, intervalMs = 1000) {
    this.#engine = engine;
    this.#store = store;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.poll().finally(() => (this.#running = undefined));
    }, this.#intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async poll(): Promise<void> {
    let overdue: number[];
    try {
      overdue = await this.#store.overdue(Date.now(), 100);
    } catch (error) {
      // The database is unreachable (PostgreSQL restarting, network cut): the next tick asks again.
      this.#logger.error({ err: error }, "reading overdue sagas failed; will retry");
      return;
    }
    for (const id of overdue) {
      try {
        await this.#engine.onDeadline(id);
      } catch (error) {
        this.#logger.error({ err: error, saga: id }, "deadline handling failed; will retry");
      }
    }
  }
}
