import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { serveConsumerService } from "@saga/generated/consumer-service";
import {
  OrderServiceClient,
  serveOrderService,
  type OrderServiceHandlers,
} from "@saga/generated/order-service";
import { createInProcessTransport, success, useOpenTelemetry, type Transport } from "@asyncgen/runtime";
import { meteredTransport, ServiceMetrics } from "@saga/service-kit";

/**
 * What tracing and metrics cost per message: request/reply round trips through one generated client/handler pair
 * (verify_consumer_details: validate, send, consume, handle, reply, consume the reply) on the in-process transport,
 * so the broker's time does not hide the toolkit's. The baseline has the OpenTelemetry API switched off (as if it
 * were not installed) and no metrics; each other mode adds one thing. Modes alternate run by run (each run starting with another); medians.
 */
export interface OverheadRow {
  readonly mode: string;
  /** Microseconds per round trip (two messages). */
  readonly microseconds: number;
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function measureMessageOverhead(count: number, runs: number): Promise<OverheadRow[]> {
  const modes: [string, () => Promise<number>][] = [
    [
      "no OpenTelemetry API, no metrics (baseline)",
      () => (useOpenTelemetry(false), roundTrips(count, false)),
    ],
    ["OpenTelemetry API, no SDK registered", () => (useOpenTelemetry(true), roundTrips(count, false))],
    [
      "metrics (prom-client, as the services run), no SDK",
      () => (useOpenTelemetry(true), roundTrips(count, true)),
    ],
  ];
  const times = new Map<string, number[]>(modes.map(([mode]) => [mode, []]));
  await roundTrips(count, true); // warm-up
  for (let run = 0; run < runs; run++) {
    // Each run starts with another mode, so none always pays for the garbage of the one before it.
    for (let i = 0; i < modes.length; i++) {
      const [mode, measure] = modes[(run + i) % modes.length]!;
      times.get(mode)!.push(await measure());
    }
  }
  // Last, since a registered provider stays for the process: the cost of recording every span (4 per round trip).
  const recorded = "an SDK recording every span (discarding exporter)";
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(discard)] }),
  );
  useOpenTelemetry(true);
  times.set(recorded, []);
  for (let run = 0; run < runs; run++) times.get(recorded)!.push(await roundTrips(count, false));
  trace.disable();
  return [...times].map(([mode, values]) => ({ mode, microseconds: median(values) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await measureMessageOverhead(
    Number(process.argv[2] ?? 20_000),
    Number(process.argv[3] ?? 5),
  )) {
    console.log(`${row.mode}: ${row.microseconds.toFixed(1)} us per round trip`);
  }
}
