import { v7 } from "uuid";

/**
 * A new message id: a UUIDv7 (RFC 9562), whose first 48 bits are the time in milliseconds, increasing within one
 * process. Receivers record consumed ids and senders' outboxes index theirs: ids that grow with time are appended
 * at the end of those indexes, where random (v4) ids land each on a page of its own. Under the saga bench on
 * SQLite this halved what the participants write (bench/README.md).
 */
export function newMessageId(): string {
  return v7();
}
