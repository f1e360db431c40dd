import type { Transport } from "@asyncgen/runtime";
import type { StoredMessage } from "@asyncgen/saga";

/** The relay's publish for outbox rows: the stored message as built, persistent, mandatory and confirmed. */
export function publishStoredMessage(transport: Transport): (row: StoredMessage) => Promise<void> {
  return (row) => transport.publish(row.message);
}
