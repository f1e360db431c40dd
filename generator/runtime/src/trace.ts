import { AsyncLocalStorage } from "node:async_hooks";
import { pooledRandomBytes } from "./random-pool.js";

/** W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header, version 00. */
export interface TraceContext {
  /** 32 lowercase hex digits, the same for every message of one saga. */
  readonly traceId: string;
  /** 16 lowercase hex digits: this hop (a handled message, a sent command). */
  readonly spanId: string;
  readonly traceparent: string;
}

/** The message header (and HTTP header) that carries the context. */
export const TRACEPARENT_HEADER = "traceparent";

const FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The context a `traceparent` value names; undefined for anything else (absent, malformed, all-zero ids). */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  const match = typeof value === "string" ? FORMAT.exec(value) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceparent: value as string };
}

/** A new hop of `parent`'s trace, or the root of a new trace when there is none. */
export function childTrace(parent?: TraceContext): TraceContext {
  const traceId = parent?.traceId ?? randomHex(16);
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

function randomHex(bytes: number): string {
  return pooledRandomBytes(bytes).toString("hex");
}

const current = new AsyncLocalStorage<TraceContext>();

/** Runs `work` with `trace` as the current context: what it sends carries it, what it logs (service-kit) names it. */
export function withTrace<T>(trace: TraceContext, work: () => T): T {
  return current.run(trace, work);
}

/** The context of the message being handled (or of the work withTrace() runs), if any. */
export function currentTrace(): TraceContext | undefined {
  return current.getStore();
}
