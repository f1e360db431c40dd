import type { OutgoingMessage } from "@asyncgen/runtime";
import type { CommandToSend, FailureDetails } from "./definition.js";

/** Saga statuses as the original wrote them: `not_started`, `<step>.running|compensating|compensated`, ends. */
export type SagaStatus = string;

export const TERMINAL = new Set(["succeeded", "failed"]);

/** What a saga waits for, if anything: the reply to the action or the compensation of one step. */
export interface Awaiting {
  readonly step: number;
  readonly phase: "action" | "compensation";
  /** Commands sent for this wait so far (1 = the first send). */
  readonly attempts: number;
  /** Epoch milliseconds. */
  readonly deadlineAt: number;
  /** The last command sent, resent as is when the deadline passes. */
  readonly command: CommandToSend;
  /** W3C traceparent of the context the command was first sent in: its resends continue that trace. */
  readonly traceparent?: string;
  /**
   * The saga gave up on this step at its deadline and is failing, but the command may still take effect when its
   * receiver comes back: it is resent until a reply says whether it did, so that the compensation can undo it.
   */
  readonly abandoned?: boolean;
}

export interface SagaRecord<Data> {
  readonly id: number;
  readonly type: string;
  readonly status: SagaStatus;
  /** Incremented by every committed transition; guards concurrent updates (optimistic concurrency). */
  readonly version: number;
  readonly data: Data;
  readonly awaiting: Awaiting | null;
  readonly failedStep: string | null;
  readonly failureDetails: FailureDetails | unknown | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface HistoryEntry {
  readonly status: SagaStatus;
  readonly at: string;
  readonly detail?: unknown;
}

/** Everything one transition writes, committed atomically by the store. */
export interface UnitOfWork<Data> {
  /** The state after the transition. */
  readonly next: Omit<SagaRecord<Data>, "version" | "createdAt" | "updatedAt">;
  /** The version the transition was computed from; undefined for a new saga. */
  readonly expectedVersion: number | undefined;
  readonly history: readonly HistoryEntry[];
  /** The commands it sends, built and validated against their contracts (transactional outbox). */
  readonly outbox: readonly OutgoingMessage[];
  /** The incoming message this transition consumes, recorded so a redelivery is recognised. */
  readonly consumedMessageId: string | undefined;
}

export interface SagaStore<Data> {
  /** Inserts a new saga: the store assigns the id, then `build` (pure, synchronous) plans its first transition. */
  create(build: (id: number) => UnitOfWork<Data>): Promise<number>;
  load(id: number): Promise<SagaRecord<Data> | undefined>;
  /**
   * Commits atomically. Throws ConcurrencyError when the version moved on since `expectedVersion`, or when another
   * transition consumed `consumedMessageId` first: nothing of the work is written then.
   */
  commit(work: UnitOfWork<Data>): Promise<void>;
  /** Whether an incoming message was already consumed. */
  hasConsumed(messageId: string): Promise<boolean>;
  /** Sagas whose awaited reply is overdue. */
  overdue(now: number, limit: number): Promise<number[]>;
}
