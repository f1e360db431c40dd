import { childTrace, silentLogger, type MessageContext } from "@asyncgen/runtime";

/** A MessageContext for calling a handler directly in a unit test. */
export function fakeContext(overrides: Partial<MessageContext> = {}): MessageContext {
  return {
    messageId: `m-${Math.random().toString(36).slice(2)}`,
    correlationId: "1",
    type: "test",
    deliveryCount: 1,
    headers: { contract_version: "1.0.0" },
    trace: childTrace(),
    logger: silentLogger,
    ...overrides,
  };
}
