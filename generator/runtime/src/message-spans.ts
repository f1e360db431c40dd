import { createRequire } from "node:module";
import type * as OTel from "@opentelemetry/api";
import { childTrace, currentTrace, withTrace, type TraceContext } from "./trace.js";

/**
 * OpenTelemetry spans for sent and handled messages (messaging semantic conventions), through the API alone: an
 * optional peer dependency that records nothing until the user's SDK registers a tracer provider. The span ids are
 * the ids our `traceparent` header carries (this module is the propagator), so OTel's trace and ours are one.
 * Without the API, or without a provider, only our own ids are made, as before.
 */
const api = loadApi();
let enabled = api !== undefined;
const apiTracer: OTel.Tracer | undefined = api?.trace.getTracer("@asyncgen/runtime");
/** The API's no-op provider: what a proxy without a registered SDK delegates to. */
const noopProvider = api && new api.ProxyTracerProvider().getDelegate();

/**
 * The tracer when spans would be recorded: the API is there, switched on, and an SDK has registered a provider.
 * Without a provider every span would be a no-op, so none is started (the cost of a no-op span per message, and
 * then our own ids anyway, showed in the bench). A provider registered through another copy of the API counts.
 */
function activeTracer(): OTel.Tracer | undefined {
  if (!enabled || !api) return undefined;
  const provider = api.trace.getTracerProvider();
  const idle = provider instanceof api.ProxyTracerProvider && provider.getDelegate() === noopProvider;
  return idle ? undefined : apiTracer;
}

/** Attribute values of the semantic conventions; undefined ones are left out. */
export type SpanAttributes = Readonly<Record<string, string | number | undefined>>;

export interface MessageSpan {
  /** The context this span stands for: what the sent message carries, or what the handling runs in. */
  readonly trace: TraceContext | undefined;
  /** Marks the span failed (a dead-lettered or failing message). */
  fail(code: string, reason: string): void;
  end(): void;
}

/** A span that records nothing: no API, or nothing to record. */
const untraced = (trace: TraceContext | undefined): MessageSpan => ({ trace, fail() {}, end() {} });

/**
 * The producer span of a message being built: a child of the current trace (the message being handled, or the
 * work `withTrace()` runs) or, outside one, of the caller's active OTel span. Undefined `trace` when there is
 * neither and no SDK records: the message then carries no traceparent, as before.
 */
export function startProducerSpan(operation: "create" | "send", attributes: SpanAttributes): MessageSpan {
  const parent = currentTrace();
  const tracer = activeTracer();
  if (!tracer) return untraced(parent && childTrace(parent));
  const destination = attributes["messaging.destination.name"];
  return open(tracer, `${operation} ${destination}`, api!.SpanKind.PRODUCER, parent, {
    "messaging.system": "rabbitmq",
    "messaging.operation.type": operation,
    "messaging.operation.name": operation,
    ...attributes,
  });
}

/** The consumer span of one delivery, a child of the sender's span (its traceparent); a new trace without one. */
export function startConsumerSpan(sender: TraceContext | undefined, attributes: SpanAttributes): MessageSpan {
  const tracer = activeTracer();
  if (!tracer) return untraced(childTrace(sender));
  const destination = attributes["messaging.destination.name"];
  const span = open(tracer, `process ${destination}`, api!.SpanKind.CONSUMER, sender, {
    "messaging.system": "rabbitmq",
    "messaging.operation.type": "process",
    "messaging.operation.name": "process",
    ...attributes,
  });
  return span.trace ? span : { ...span, trace: childTrace(sender) };
}

/**
 * Runs `work` inside a span of its own (an internal one, e.g. a saga's start): a child of the current trace or of
 * the active OTel span, else the root of a new trace. What the work sends and logs carries it.
 */
export async function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  work: () => Promise<T>,
): Promise<T> {
  const parent = currentTrace();
  const tracer = activeTracer();
  const span = tracer
    ? open(tracer, name, api!.SpanKind.INTERNAL, parent, attributes)
    : untraced(childTrace(parent));
  try {
    return await runInSpan(span, work);
  } catch (error) {
    span.fail(String((error as { code?: unknown }).code ?? "_OTHER"), String(error));
    throw error;
  } finally {
    span.end();
  }
}

/** Runs `work` with the span's context current, ours (withTrace) and OTel's, so nested instrumentation joins it. */
export function runInSpan<T>(span: MessageSpan, work: () => T): T {
  const trace = span.trace ?? childTrace();
  if (!api || !("otel" in span)) return withTrace(trace, work);
  const otel = (span as RecordedSpan).otel;
  return withTrace(trace, () => api.context.with(api.trace.setSpan(api.context.active(), otel), work));
}

interface RecordedSpan extends MessageSpan {
  readonly otel: OTel.Span;
}

function open(
  using: OTel.Tracer,
  name: string,
  kind: OTel.SpanKind,
  parent: TraceContext | undefined,
  attributes: SpanAttributes,
): MessageSpan {
  const otelApi = api!;
  const span = using.startSpan(
    name,
    { kind, attributes: defined(attributes) },
    parentContext(otelApi, parent),
  );
  const context = span.spanContext();
  // A no-op tracer (no provider registered) hands back the parent's own ids: that is not a new hop.
  if (!otelApi.isSpanContextValid(context) || context.spanId === parent?.spanId) {
    return untraced(parent && childTrace(parent));
  }
  const flags = context.traceFlags & otelApi.TraceFlags.SAMPLED ? "01" : "00";
  const trace = {
    traceId: context.traceId,
    spanId: context.spanId,
    traceparent: `00-${context.traceId}-${context.spanId}-${flags}`,
  };
  const recorded: RecordedSpan = {
    trace,
    otel: span,
    fail(code, reason) {
      span.setAttribute("error.type", code);
      span.setStatus({ code: otelApi.SpanStatusCode.ERROR, message: reason });
    },
    end: () => span.end(),
  };
  return recorded;
}

/** Our current context as OTel's parent; without one, whatever span the caller has active (an HTTP request's). */
function parentContext(otelApi: typeof OTel, parent: TraceContext | undefined): OTel.Context {
  const active = otelApi.context.active();
  if (!parent) return active;
  if (otelApi.trace.getSpanContext(active)?.spanId === parent.spanId) return active;
  return otelApi.trace.setSpanContext(active, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.traceparent.endsWith("-00") ? otelApi.TraceFlags.NONE : otelApi.TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * The API if it is installed. Loaded with require() (Node resolves it to the same CommonJS build an `import` gets),
 * not a top-level await, which would stop this package from being require()d.
 */
function loadApi(): typeof OTel | undefined {
  try {
    return createRequire(import.meta.url)("@opentelemetry/api") as typeof OTel;
  } catch (error) {
    if ((error as { code?: unknown }).code === "MODULE_NOT_FOUND") return undefined;
    throw error;
  }
}

function defined(attributes: SpanAttributes): OTel.Attributes {
  const out: OTel.Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Spans through the OpenTelemetry API (the default when it is installed), or none, as if it were not installed:
 * our own trace context still travels. The bench compares the two.
 */
export function useOpenTelemetry(on: boolean): void {
  enabled = on;
}
