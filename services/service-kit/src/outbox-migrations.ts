import {
  consumedMessagesTable,
  outboxParkingColumns,
  outboxRetentionIndexes,
  outboxTable,
  type Migration,
} from "@asyncgen/saga";

/**
 * The outbox and the consumed-message record of a service that answers messages; append it to the service's own
 * migrations. The layout is @asyncgen/saga's, the one the order service's outbox has too: a row holds the message
 * exactly as built (and validated) by the runtime, so the relay publishes it without knowing the contract. On
 * PostgreSQL the outbox has the claim columns several instances' relays share it by.
 */
export const OUTBOX_MIGRATION: Migration = (d) => outboxTable(d) + consumedMessagesTable();

/** Where a row the broker kept refusing is parked, with its reason; append it after OUTBOX_MIGRATION. */
export const OUTBOX_PARKING_MIGRATION: Migration = () => outboxParkingColumns();

/**
 * The indexes the retention pruning walks (consumed and sent times); append it after OUTBOX_PARKING_MIGRATION. Without
 * it the pruning still works, scanning the tables.
 */
export const OUTBOX_RETENTION_MIGRATION: Migration = () => outboxRetentionIndexes();
