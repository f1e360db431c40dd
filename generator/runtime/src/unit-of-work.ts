import type { OutgoingMessage } from "./transport.js";

/**
 * A service's transactional inbox and outbox, whatever database holds them. `serve()` hands it each admitted
 * message: the handler's state change, the messages it answers with and the record that the message was consumed
 * commit together or not at all, and the delivery is acknowledged only after the commit. Publishing the stored
 * messages (after the commit, and again after a crash) is the implementation's job, e.g. an outbox relay.
 */
export interface UnitOfWork {
  /**
   * In one transaction: unless `messageId` is already recorded as consumed, runs `work` (the handler, then the
   * reply it built), stores the messages it returns for publishing and records `messageId`, then commits and
   * resolves `"committed"`. Resolves `"duplicate"`, without running `work`, when `messageId` was recorded before:
   * its messages are already stored. When `work` rejects, or the commit fails, nothing of it is kept and the
   * promise rejects with that error. An implementation that retries a transaction (one that group-commits several
   * messages and redoes the others when one fails) runs `work` again, its earlier writes rolled back: what `work`
   * does outside the transaction must bear that, as it must a redelivery.
   */
  transact(
    messageId: string,
    work: () => Promise<readonly OutgoingMessage[]>,
  ): Promise<"committed" | "duplicate">;
}
