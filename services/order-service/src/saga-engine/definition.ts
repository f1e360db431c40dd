/**
 * A saga is a list of steps; each has an action run forwards and an optional compensation run backwards when a
 * later step fails. Actions are local (a pure change of the saga's data) or remote (a command sent through the
 * outbox, finished by its reply). Nothing here knows a particular saga.
 */

/** A command for the outbox: a client operation name and its payload. */
export interface CommandToSend {
  readonly operation: string;
  readonly payload: unknown;
}

export interface LocalAction<Data> {
  readonly kind: "local";
  /** Returns the new data. Throwing is an orchestrator fault: the step fails and compensation starts. */
  run(data: Data, sagaId: number): Data;
}

export interface RemoteAction<Data> {
  readonly kind: "remote";
  /** Builds the command. Throwing is an orchestrator fault: the step fails and compensation starts. */
  command(data: Data, sagaId: number): CommandToSend;
  /** Wire types of the replies that finish this action. */
  readonly replies: { readonly success: string; readonly failure?: string };
  /** Folds the success reply into the data. */
  onSuccess?(data: Data, reply: unknown): Data;
}

export interface StepDefinition<Data> {
  readonly name: string;
  readonly action?: LocalAction<Data> | RemoteAction<Data>;
  /** Remote compensations are confirmed by their success reply and resent until it comes. */
  readonly compensation?: LocalAction<Data> | Omit<RemoteAction<Data>, "onSuccess">;
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
}

/** The original saga-framework's SagaErrorPayload, for orchestrator-side faults and timeouts. */
export interface FailureDetails {
  readonly type: string;
  readonly message: string;
  readonly module: string;
  readonly traceback: readonly string[];
}

export function serializeError(error: unknown, module = "order-service"): FailureDetails {
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
