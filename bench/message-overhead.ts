import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { serveConsumerService } from "@saga/generated/consumer-service";
import {
  OrderServiceClient,
  orderServiceCommands,
  serveOrderService,
  type OrderServiceHandlers,
} from "@saga/generated/order-service";
import {
  buildMessage,
  childTrace,
  createInProcessTransport,
  success,
  useOpenTelemetry,
  withTrace,
  type Transport,
} from "@asyncgen/runtime";
import { meteredTransport, ServiceMetrics } from "@saga/service-kit";

/**
 * What tracing and metrics cost per message: request/reply round trips through one generated client/handler pair
 * (verify_consumer_details: validate, send, consume, handle, reply, consume the reply) on the in-process transport,
 * so the broker's time does not hide the toolkit's. The baseline has the OpenTelemetry API switched off (as if it
 * were not installed) and no metrics; each other mode adds one thing. Beside it, the cost of building one message
 * (as every send and reply does: validate, headers, its producer span), which the round trips' noise can hide.
 * Modes alternate run by run, each run starting with another; medians.
 */
export interface OverheadRow {
  readonly mode: string;
  /** Microseconds per round trip (two messages). */
  readonly microseconds: number;
  /** Nanoseconds to build one message inside a handled message's trace: validate, headers, its producer span. */
  readonly buildNanoseconds: number;
}

/** A span exporter that drops what it is given: the SDK's cost without an exporter's I/O. */
const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

const handlerNames = [
  "onVerifyConsumerDetailsSuccess",
  "onVerifyConsumerDetailsFailure",
  "onCreateTicketSuccess",
  "onCreateTicketFailure",
  "onRejectTicketSuccess",
  "onAuthorizeCardSuccess",
  "onAuthorizeCardFailure",
  "onApproveTicketSuccess",
  "onApproveTicketFailure",
];

/** Microseconds per round trip of `count` round trips, 16 in flight, on a fresh in-process transport. */
async function roundTrips(count: number, metered: boolean): Promise<number> {
  const inner = createInProcessTransport();
  const wrap = (service: string): Transport =>
    metered ? meteredTransport(inner, new ServiceMetrics(service)) : inner;
  const waiting = new Map<string, () => void>();
  const done = async (_payload: unknown, context: { correlationId: string | undefined }) =>
    waiting.get(context.correlationId!)?.();
  const handlers = Object.fromEntries(handlerNames.map((m) => [m, done])) as unknown as OrderServiceHandlers;
  await serveConsumerService(wrap("consumer-service"), { verifyConsumerDetails: async () => success(null) });
  const orders = wrap("order-service");
  await serveOrderService(orders, handlers);
  const client = new OrderServiceClient(orders);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const id = String(next++);
        const replied = new Promise<void>((resolve) => waiting.set(id, resolve));
        await client.verifyConsumerDetails({ consumer_id: 70 }, { correlationId: id });
        await replied;
        waiting.delete(id);
      }
    }),
  );
  const microseconds = Number(process.hrtime.bigint() - started) / 1000 / count;
  await inner.close();
  return microseconds;
}

/** Nanoseconds per buildMessage() of a command, as a handler sends it (inside the delivery's trace). */
function buildCost(iterations: number): number {
  const { route, message, contractVersion, replyTo } = orderServiceCommands.verifyConsumerDetails;
  return withTrace(childTrace(), () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      buildMessage(route, message, { consumer_id: 70 }, contractVersion, { correlationId: "1", replyTo });
    }
    return Number(process.hrtime.bigint() - started) / iterations;
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function measureMessageOverhead(count: number, runs: number): Promise<OverheadRow[]> {
  const modes = [
    { mode: "no OpenTelemetry API, no metrics (baseline)", otel: false, metered: false },
    { mode: "OpenTelemetry API, no SDK registered", otel: true, metered: false },
    { mode: "metrics (prom-client, as the services run), no SDK", otel: true, metered: true },
  ];
  const trips = new Map<string, number[]>();
  const builds = new Map<string, number[]>();
  const measure = async ({ mode, otel, metered }: (typeof modes)[number]) => {
    useOpenTelemetry(otel);
    trips.set(mode, [...(trips.get(mode) ?? []), await roundTrips(count, metered)]);
    builds.set(mode, [...(builds.get(mode) ?? []), buildCost(count * 5)]);
  };
  await roundTrips(count, true); // warm-up
  buildCost(count * 5);
  for (let run = 0; run < runs; run++) {
    // Each run starts with another mode, so none always pays for the garbage of the one before it.
    for (let i = 0; i < modes.length; i++) await measure(modes[(run + i) % modes.length]!);
  }
  // Last, since a registered provider stays for the process: the cost of recording every span (4 per round trip).
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(discard)] }),
  );
  const recorded = { mode: "an SDK recording every span (discarding exporter)", otel: true, metered: false };
  for (let run = 0; run < runs; run++) await measure(recorded);
  trace.disable();
  return [...trips].map(([mode, values]) => ({
    mode,
    microseconds: median(values),
    buildNanoseconds: median(builds.get(mode)!),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [count, runs] = [Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 9)];
  for (const row of await measureMessageOverhead(count, runs)) {
    console.log(
      `${row.mode}: ${row.microseconds.toFixed(1)} us per round trip, ${row.buildNanoseconds.toFixed(0)} ns per message built`,
    );
  }
}
