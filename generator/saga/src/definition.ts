import type { MessageSpec } from "@asyncgen/runtime";

/**
 * A saga is a list of steps; each has an action run forwards and an optional compensation run backwards when a
 * later step fails. Actions are local (a pure change of the saga's data) or remote (a command of the contract, sent
 * through the outbox and finished by one of its replies). Nothing here knows a particular saga.
 */

/** The replies a command's contract declares: one success reply and at most one failure reply. */
export interface CommandReplies {
  readonly success?: MessageSpec<unknown>;
  readonly failure?: MessageSpec<unknown>;
}

/**
 * A send operation of a contract as data, as asyncgen generates it (`<service>Commands.<operation>` in the
 * generated `client.ts`): its message, where it goes, where its replies come back and which replies it has.
 */
export interface CommandSpec<Payload = unknown, Replies extends CommandReplies = CommandReplies> {
  /** The operation's name (the generated client's method), kept in the saga's state and history. */
  readonly operationId: string;
  readonly message: MessageSpec<Payload>;
  readonly route: { readonly exchange: string; readonly routingKey: string };
  /** The queue the receiver replies to. */
  readonly replyTo?: string;
  readonly contractVersion: string;
  readonly replies: Replies;
}

/** A command a saga step can wait for: one whose contract declares a success reply. */
export type AnsweredCommand = CommandSpec<
  unknown,
  { readonly success: MessageSpec<unknown>; readonly failure?: MessageSpec<unknown> }
>;

/** The payload type of a message spec. */
export type PayloadOf<M> = M extends MessageSpec<infer P> ? P : never;

/** The command payload of a command spec. */
export type CommandPayload<C> = C extends CommandSpec<infer P, CommandReplies> ? P : never;

/** The payload of a command's success reply. */
export type SuccessReply<C extends AnsweredCommand> = PayloadOf<C["replies"]["success"]>;

/** The payload of a command's failure reply; `never` when the contract declares none. */
export type FailureReply<C extends AnsweredCommand> = C["replies"] extends {
  readonly failure: MessageSpec<infer F>;
}
  ? F
  : never;

/** A command for the outbox: the operation it belongs to and its payload (resent as is at a deadline). */
export interface CommandToSend {
  readonly operation: string;
  readonly payload: unknown;
}

export interface LocalAction<Data> {
  readonly kind: "local";
  /** Returns the new data. Throwing is an orchestrator fault: the step fails and compensation starts. */
  run(data: Data, sagaId: number): Data;
}

/** What a remote action does with its replies; only the replies its contract declares can be handled. */
export interface ReplyHandlers<Data, C extends AnsweredCommand> {
  /** Folds the success reply into the data. */
  readonly onSuccess?: (data: Data, reply: SuccessReply<C>) => Data;
  /** Folds the failure reply into the data before the saga compensates (or, after the pivot, retries). */
  readonly onFailure?: [FailureReply<C>] extends [never]
    ? never
    : (data: Data, reply: FailureReply<C>) => Data;
}

export interface RemoteAction<Data> {
  readonly kind: "remote";
  readonly spec: AnsweredCommand;
  /** Builds the command's payload. Throwing is an orchestrator fault: the step fails and compensation starts. */
  payload(data: Data, sagaId: number): unknown;
  onSuccess?(data: Data, reply: unknown): Data;
  onFailure?(data: Data, reply: unknown): Data;
}

export interface StepDefinition<Data> {
  readonly name: string;
  readonly action?: LocalAction<Data> | RemoteAction<Data>;
  /** Remote compensations are confirmed by their success reply and resent until it comes. */
  readonly compensation?: LocalAction<Data> | RemoteAction<Data>;
  /**
   * The point of no return. Steps after the pivot are retriable: their commands are resent until they succeed,
   * and a failure never compensates what the pivot did.
   */
  readonly pivot?: boolean;
}

export interface SagaDefinition<Data> {
  readonly type: string;
  readonly steps: readonly StepDefinition<Data>[];
  /** How long a step waits for its reply before the deadline policy acts. */
  readonly stepDeadlineMs: number;
  /** Resends of a command before the pivot before the step is failed (after the pivot: no limit). */
  readonly maxResends: number;
  /** `failure_details.module` of the faults the orchestrator raises itself (exceptions, deadlines). Default: `type`. */
  readonly module?: string;
}

/**
 * A step that sends a command of the contract and waits for its reply. The payload's type, the replies and their
 * payload types all come from the generated spec: `onSuccess` receives the success reply's type, and `onFailure`
 * compiles only for a command whose contract declares a failure reply.
 */
export function remote<Data, C extends AnsweredCommand>(
  spec: C,
  payload: (data: Data, sagaId: number) => CommandPayload<C>,
  handlers: ReplyHandlers<Data, C> = {},
): RemoteAction<Data> {
  return {
    kind: "remote",
    spec,
    payload,
    // The engine calls each handler only with the reply it was declared for.
    ...(handlers.onSuccess ? { onSuccess: handlers.onSuccess } : {}),
    ...(handlers.onFailure ? { onFailure: handlers.onFailure } : {}),
  };
}

/** A step (or compensation) that only changes the saga's data, in the same transition. */
export function local<Data>(run: (data: Data, sagaId: number) => Data): LocalAction<Data> {
  return { kind: "local", run };
}

/** The original saga-framework's SagaErrorPayload, for orchestrator-side faults and timeouts. */
export interface FailureDetails {
  readonly type: string;
  readonly message: string;
  readonly module: string;
  readonly traceback: readonly string[];
}

export function serializeError(error: unknown, module: string): FailureDetails {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    type: err.name,
    message: err.message,
    module,
    traceback: (err.stack ?? "")
      .split("\n")
      .slice(1)
      .map((line) => line.trim()),
  };
}
