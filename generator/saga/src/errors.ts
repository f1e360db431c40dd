import { CodedError } from "@asyncgen/runtime";

/**
 * The one registry of the codes @asyncgen/saga raises (beside the runtime's, which it passes through). The package
 * README's table is tested against it, so a code cannot exist without a description.
 */
export const SAGA_ERROR_CODES = {
  SAGA_CONCURRENT_UPDATE:
    "another transition of the saga committed first (another instance, or a racing deadline); the engine plans again",
  SAGA_INVALID_DEFINITION: "a saga definition cannot run (no steps, two pivots, a duplicate step name)",
  SAGA_REPLY_NOT_CONSUMED: "a step waits for a reply that none of the orchestrator's reply queues consumes",
  SAGA_MISSING_SAGA_ID: "a reply's correlation_id is not the id of a saga",
  SAGA_OUTBOX_PARKED:
    "the broker kept refusing an outbox message; it is parked with the reason and no longer retried",
  SAGA_DATABASE_IN_USE:
    "another process holds the SQLite database file (a second instance on the same DATA_DIR); a service on SQLite runs as one instance",
  SAGA_RETENTION_PRUNE_FAILED:
    "a retention pass could not delete old bookkeeping rows (database busy, closed or unreachable); logged, retried at the next pass",
  DB_MIGRATION_FAILED: "a schema migration of the saga store failed; nothing of it was applied",
} as const satisfies Record<string, string>;

export type SagaErrorCode = keyof typeof SAGA_ERROR_CODES;

export class SagaError extends CodedError<SagaErrorCode> {
  override name = "SagaError";
}

/** A transition lost the race for the saga's version or for the message it consumes; nothing of it was written. */
export class ConcurrencyError extends SagaError {
  override name = "ConcurrencyError";

  constructor(message: string) {
    super("SAGA_CONCURRENT_UPDATE", message);
  }
}
