import {
  buildMessage,
  currentTrace,
  parseTraceparent,
  withTrace,
  type Logger,
  type OutgoingMessage,
} from "@asyncgen/runtime";
import { serializeError, type FailureDetails, type RemoteAction, type SagaDefinition } from "./definition.js";
import { ConcurrencyError, SagaError } from "./errors.js";
import {
  TERMINAL,
  type Awaiting,
  type HistoryEntry,
  type SagaRecord,
  type SagaStore,
  type UnitOfWork,
} from "./state.js";

/** What became of an incoming reply; logged, and asserted by tests. */
export type ReplyOutcome = "applied" | "duplicate" | "ignored" | "unknown-saga";

/**
 * Runs sagas of one definition. Every transition is planned in memory from the stored record, then committed with
 * its history, its outgoing commands (outbox) and the id of the message that caused it, in one transaction guarded
 * by the record's version. Replies that are late, duplicated or for another step change nothing.
 */
export class SagaEngine<Data> {
  readonly #definition: SagaDefinition<Data>;
  readonly #store: SagaStore<Data>;
  readonly #logger: Logger;
  readonly #pivot: number;
  readonly #now: () => number;
  /** `failure_details.module` of the faults the orchestrator itself raises (exceptions, deadlines). */
  readonly #module: string;
  /** Called after a commit that queued commands, so the relay publishes them without waiting for its timer. */
  onOutbox: () => void = () => {};

  constructor(
    definition: SagaDefinition<Data>,
    store: SagaStore<Data>,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.#definition = definition;
    this.#store = store;
    this.#logger = logger;
    this.#now = now;
    // Without a pivot no step is past the point of no return: every failure compensates.
    const pivot = definition.steps.findIndex((s) => s.pivot === true);
    this.#pivot = pivot === -1 ? definition.steps.length : pivot;
    this.#module = definition.module ?? definition.type;
    checkDefinition(definition);
  }

  /** Creates a saga and runs it up to its first remote step; returns its id. */
  async start(data: Data): Promise<number> {
    const id = await this.#store.create((sagaId) => {
      const draft = new Draft<Data>(this.#initial(sagaId, data), this.#now);
      draft.record("not_started");
      this.#forward(draft, 0);
      return draft.work(undefined, undefined);
    });
    this.onOutbox();
    return id;
  }

  /** Applies a reply to the saga it belongs to (`correlation_id`). */
  async handleReply(
    sagaId: number,
    type: string,
    payload: unknown,
    messageId: string,
  ): Promise<ReplyOutcome> {
    return this.#retryOnConflict(async () => {
      // Both reads at once: on PostgreSQL that is one round trip instead of two. Either may be stale by the commit;
      // the version check and the consumed record decide then.
      const [consumed, saga] = await Promise.all([
        this.#store.hasConsumed(messageId),
        this.#store.load(sagaId),
      ]);
      if (consumed) return "duplicate";
      if (!saga) return "unknown-saga";
      const draft = new Draft(saga, this.#now);
      if (!this.#applyReply(draft, type, payload)) {
        this.#logger.info(
          { saga: sagaId, type, status: saga.status },
          "reply ignored: not awaited (late, duplicate or another step)",
        );
        return "ignored";
      }
      await this.#store.commit(draft.work(saga.version, messageId));
      this.#log(saga, draft);
      if (draft.outbox.length > 0) this.onOutbox();
      return "applied";
    });
  }

  /** Acts on an overdue wait: resend the command, or give up on a step before the pivot. */
  async onDeadline(sagaId: number): Promise<void> {
    await this.#retryOnConflict(async () => {
      const saga = await this.#store.load(sagaId);
      const awaiting = saga?.awaiting;
      if (!saga || !awaiting || awaiting.deadlineAt > this.#now()) return;
      // The resend (and what this transition logs) continues the trace the awaited command was sent in.
      const trace = parseTraceparent(awaiting.traceparent);
      const act = () => this.#actOnDeadline(saga, awaiting);
      await (trace ? withTrace(trace, act) : act());
    });
  }

  /** The deadline policy of onDeadline(), on the saga as loaded. */
  async #actOnDeadline(saga: SagaRecord<Data>, awaiting: Awaiting): Promise<void> {
    const draft = new Draft(saga, this.#now);
    const step = this.#definition.steps[awaiting.step]!;
    // Compensations, the pivot (its outcome decides the saga and nothing undoes it) and the steps after it are
    // resent until they are answered; so is a step already given up on (see below).
    const mustFinish =
      awaiting.phase === "compensation" || awaiting.step >= this.#pivot || awaiting.abandoned === true;
    const resent = {
      deadline: "passed",
      resent: awaiting.command.operation,
      attempt: awaiting.attempts + 1,
    };
    const exceeded = {
      type: "DeadlineExceeded",
      message: `no reply to ${step.name} after ${awaiting.attempts} attempt(s)`,
      module: this.#module,
      traceback: [],
    };
    if (mustFinish || awaiting.attempts <= this.#definition.maxResends) {
      draft.resend(this.#awaitedAction(awaiting), awaiting, this.#backoff(awaiting.attempts + 1));
      draft.record(saga.status, resent);
    } else if (step.compensation) {
      // The step may still take effect when its receiver comes back, and only its reply tells: the saga fails
      // now, keeps resending, and compensates the step itself once the reply says it happened.
      draft.failedStep = step.name;
      draft.failureDetails = exceeded;
      draft.resend(
        this.#awaitedAction(awaiting),
        { ...awaiting, abandoned: true },
        this.#backoff(awaiting.attempts + 1),
      );
      draft.record(`${step.name}.compensating`, { ...resent, abandoned: true });
    } else {
      this.#fail(draft, awaiting.step, exceeded);
    }
    await this.#store.commit(draft.work(saga.version, undefined));
    this.#log(saga, draft);
    this.onOutbox();
  }

  #applyReply(draft: Draft<Data>, type: string, payload: unknown): boolean {
    const awaiting = draft.awaiting;
    if (!awaiting || TERMINAL.has(draft.status)) return false;
    const step = this.#definition.steps[awaiting.step]!;
    const { spec, onSuccess, onFailure } = this.#awaitedAction(awaiting);
    const outcome =
      type === spec.replies.success.name
        ? "success"
        : type === spec.replies.failure?.name
          ? "failure"
          : undefined;
    if (!outcome) return false;
    if (awaiting.phase === "compensation") {
      if (outcome !== "success") return false;
      draft.record(`${step.name}.compensated`);
      this.#compensate(draft, awaiting.step - 1);
      return true;
    }
    if (outcome === "success") draft.data = onSuccess ? onSuccess(draft.data, payload) : draft.data;
    else draft.data = onFailure ? onFailure(draft.data, payload) : draft.data;
    if (awaiting.abandoned) {
      // The saga already failed this step at its deadline; the late reply says whether there is anything to undo.
      if (outcome === "success") {
        this.#compensate(draft, awaiting.step);
        return true;
      }
      draft.record(`${step.name}.compensated`, { reply: "failure: nothing to undo" });
      this.#compensate(draft, awaiting.step - 1);
      return true;
    }
    if (outcome === "success") {
      this.#forward(draft, awaiting.step + 1);
    } else if (awaiting.step > this.#pivot) {
      // After the pivot nothing is compensated: the deadline poller resends the command after a backoff.
      draft.awaiting = { ...awaiting, deadlineAt: this.#now() + this.#backoff(awaiting.attempts) };
      draft.record(draft.status, { retry: "failure reply after the pivot", reply: payload });
    } else {
      this.#fail(draft, awaiting.step, payload);
    }
    return true;
  }

  /** The remote action or compensation a saga waits on. */
  #awaitedAction(awaiting: Awaiting): RemoteAction<Data> {
    const step = this.#definition.steps[awaiting.step]!;
    return (awaiting.phase === "compensation" ? step.compensation : step.action) as RemoteAction<Data>;
  }

  /** Runs steps from `from` until one waits for a reply, one fails, or the saga succeeds. */
  #forward(draft: Draft<Data>, from: number): void {
    const steps = this.#definition.steps;
    for (let index = from; index < steps.length; index++) {
      const step = steps[index]!;
      draft.record(`${step.name}.running`);
      const action = step.action;
      if (!action) continue;
      try {
        if (action.kind === "local") {
          draft.data = action.run(draft.data, draft.id);
          continue;
        }
        draft.send(action, index, "action", this.#definition.stepDeadlineMs);
        return;
      } catch (error) {
        // A payload the contract refuses is caught here too (MSG_INVALID_PAYLOAD): it never reaches the outbox.
        this.#fail(draft, index, serializeError(error, this.#module));
        return;
      }
    }
    draft.awaiting = null;
    draft.record("succeeded");
  }

  #fail(draft: Draft<Data>, index: number, details: FailureDetails | unknown): void {
    draft.failedStep = this.#definition.steps[index]!.name;
    draft.failureDetails = details;
    this.#compensate(draft, index - 1);
  }

  /** Compensates from `from` down to the first step; a remote compensation waits for its confirmation. */
  #compensate(draft: Draft<Data>, from: number): void {
    for (let index = from; index >= 0; index--) {
      const step = this.#definition.steps[index]!;
      draft.record(`${step.name}.compensating`);
      const compensation = step.compensation;
      if (compensation?.kind === "remote") {
        draft.send(compensation, index, "compensation", this.#definition.stepDeadlineMs);
        return;
      }
      if (compensation) draft.data = compensation.run(draft.data, draft.id);
      draft.record(`${step.name}.compensated`);
    }
    draft.awaiting = null;
    draft.record("failed");
  }

  /** Exponential backoff of resends, capped at ten deadlines. */
  #backoff(attempt: number): number {
    return this.#definition.stepDeadlineMs * Math.min(2 ** (attempt - 1), 10);
  }

  /**
   * Another transition (a racing deadline, or another instance on the same database) committed first: plan again
   * from the fresh state, where the work is usually already done. Not a failure, so logged at debug only.
   */
  async #retryOnConflict<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 5) throw error;
        this.#logger.debug({ err: error, attempt }, "concurrent update; planning again from the fresh state");
      }
    }
  }

  #initial(id: number, data: Data): SagaRecord<Data> {
    const now = new Date(this.#now()).toISOString();
    return {
      id,
      type: this.#definition.type,
      status: "not_started",
      version: 0,
      data,
      awaiting: null,
      failedStep: null,
      failureDetails: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  #log(before: SagaRecord<Data>, draft: Draft<Data>): void {
    this.#logger.info(
      { saga: before.id, from: before.status, to: draft.status, step: draft.awaiting?.step ?? null },
      `saga ${before.id}: ${before.status} -> ${draft.status}`,
    );
  }
}

/** A saga record being changed by one transition, collecting what the transition writes. */
class Draft<Data> {
  readonly id: number;
  status: string;
  data: Data;
  awaiting: Awaiting | null;
  failedStep: string | null;
  failureDetails: unknown;
  readonly history: HistoryEntry[] = [];
  readonly outbox: OutgoingMessage[] = [];
  readonly #type: string;
  readonly #now: () => number;

  constructor(saga: SagaRecord<Data>, now: () => number) {
    this.id = saga.id;
    this.#type = saga.type;
    this.status = saga.status;
    this.data = saga.data;
    this.awaiting = saga.awaiting;
    this.failedStep = saga.failedStep;
    this.failureDetails = saga.failureDetails;
    this.#now = now;
  }

  record(status: string, detail?: unknown): void {
    this.status = status;
    this.history.push({
      status,
      at: new Date(this.#now()).toISOString(),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** Builds the action's command (validated against its contract) for the outbox and waits for its reply. */
  send(action: RemoteAction<Data>, step: number, phase: Awaiting["phase"], deadlineMs: number): void {
    const command = { operation: action.spec.operationId, payload: action.payload(this.data, this.id) };
    this.outbox.push(this.#build(action, command.payload));
    // The context the command is sent in (the reply being handled, the saga's start), for its resends.
    const traceparent = currentTrace()?.traceparent;
    this.awaiting = {
      step,
      phase,
      attempts: 1,
      deadlineAt: this.#now() + deadlineMs,
      command,
      ...(traceparent ? { traceparent } : {}),
    };
  }

  /** The awaited command again, with a new message id. */
  resend(action: RemoteAction<Data>, awaiting: Awaiting, delayMs: number): void {
    this.outbox.push(this.#build(action, awaiting.command.payload));
    this.awaiting = { ...awaiting, attempts: awaiting.attempts + 1, deadlineAt: this.#now() + delayMs };
  }

  #build(action: RemoteAction<Data>, payload: unknown): OutgoingMessage {
    const { spec } = action;
    // Each with a new message id (buildMessage's default, a UUIDv7): a resent command is a new message.
    return buildMessage(spec.route, spec.message, payload, spec.contractVersion, {
      correlationId: String(this.id),
      ...(spec.replyTo ? { replyTo: spec.replyTo } : {}),
    });
  }

  work(expectedVersion: number | undefined, consumedMessageId: string | undefined): UnitOfWork<Data> {
    return {
      next: {
        id: this.id,
        type: this.#type,
        status: this.status,
        data: this.data,
        awaiting: this.awaiting,
        failedStep: this.failedStep,
        failureDetails: this.failureDetails,
      },
      expectedVersion,
      history: this.history,
      outbox: this.outbox,
      consumedMessageId,
    };
  }
}

/** Refuses a definition the engine cannot run, at construction rather than in the middle of a saga. */
function checkDefinition<Data>(definition: SagaDefinition<Data>): void {
  const invalid = (reason: string) =>
    new SagaError("SAGA_INVALID_DEFINITION", `saga ${definition.type}: ${reason}`, { saga: definition.type });
  if (definition.steps.length === 0) throw invalid("has no steps");
  if (definition.steps.filter((step) => step.pivot).length > 1) throw invalid("has more than one pivot");
  const names = definition.steps.map((step) => step.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw invalid(`has two steps named ${duplicate}`);
}
