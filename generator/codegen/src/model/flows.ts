import type { ChannelModel, MessageModel, OperationModel, ServiceModel } from "./service-model.js";

/** One message as one service sees it travel: sent or received, under which operation, on which channel. */
export interface MessageFlow {
  readonly service: ServiceModel;
  readonly operation: OperationModel;
  /** The operation's channel, or its reply channel for a reply; undefined for a reply without a channel. */
  readonly channel: ChannelModel | undefined;
  readonly message: MessageModel;
  /** Whether the message is a reply of the operation (rather than one of its own messages). */
  readonly isReply: boolean;
}

/**
 * The messages a service sends or receives. Sent: the messages of its send operations, and the replies of its
 * receive operations. Received: the messages of its receive operations, and the replies of its send operations.
 */
export function messageFlows(model: ServiceModel, direction: "sent" | "received"): MessageFlow[] {
  const out: MessageFlow[] = [];
  for (const operation of model.operations) {
    const outgoing = (operation.action === "send") === (direction === "sent");
    if (outgoing) {
      for (const message of operation.messages)
        out.push({ service: model, operation, channel: operation.channel, message, isReply: false });
    } else {
      for (const message of operation.reply?.messages ?? [])
        out.push({ service: model, operation, channel: operation.reply?.channel, message, isReply: true });
    }
  }
  return out;
}
