import { createServer, type Server } from "node:http";
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds: handlers and commits take milliseconds; sagas seconds (and, waiting on a participant, minutes). */
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SAGA_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/**
 * One service's Prometheus metrics, on a registry of its own labelled `service` (the four services can share a
 * process without sharing counters). Names and labels are listed in the README's Metrics table.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly consumed: Counter<"queue" | "type">;
  readonly published: Counter<"queue" | "type">;
  readonly deadLettered: Counter<"queue" | "type" | "code">;
  readonly redelivered: Counter<"queue" | "type">;
  readonly replayed: Counter<"queue">;
  readonly handlerSeconds: Histogram<"queue" | "type">;
  readonly commitSeconds: Histogram<never>;
  readonly sagasStarted: Counter<"saga">;
  readonly sagasFinished: Counter<"saga" | "outcome">;
  readonly sagaSeconds: Histogram<"saga" | "outcome">;
  readonly repliesIgnored: Counter<"reason">;
  readonly #backlog: (() => Promise<number>)[] = [];
  readonly #parked: (() => Promise<number>)[] = [];
  readonly #connected: (() => boolean)[] = [];

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      buckets: number[],
    ) => new Histogram<L>({ name, help, labelNames, buckets, registers });
    this.consumed = counter("saga_messages_consumed_total", "Messages delivered to a consumer", [
      "queue",
      "type",
    ]);
    this.published = counter("saga_messages_published_total", "Messages published and confirmed", [
      "queue",
      "type",
    ]);
    this.deadLettered = counter("saga_messages_dead_lettered_total", "Messages sent to a dead-letter queue", [
      "queue",
      "type",
      "code",
    ]);
    this.redelivered = counter("saga_messages_redelivered_total", "Deliveries after the first of a message", [
      "queue",
      "type",
    ]);
    this.replayed = counter("saga_dead_letters_replayed_total", "Dead letters replayed to their queue", [
      "queue",
    ]);
    this.handlerSeconds = histogram(
      "saga_handler_duration_seconds",
      "From delivery to ack or nack: validation, handler, commit",
      ["queue", "type"],
      FAST_BUCKETS,
    );
    this.commitSeconds = histogram(
      "saga_commit_duration_seconds",
      "One database transaction of a handled message or a saga transition",
      [],
      FAST_BUCKETS,
    );
    this.sagasStarted = counter("saga_sagas_started_total", "Sagas created", ["saga"]);
    this.sagasFinished = counter("saga_sagas_finished_total", "Sagas that ended, by outcome", [
      "saga",
      "outcome",
    ]);
    this.sagaSeconds = histogram(
      "saga_saga_duration_seconds",
      "From a saga's creation to its end, by outcome",
      ["saga", "outcome"],
      SAGA_BUCKETS,
    );
    this.repliesIgnored = counter(
      "saga_replies_ignored_total",
      "Replies that changed nothing: unknown_saga, stale_step (late or for another step), duplicate",
      ["reason"],
    );
    countedGauge(
      "saga_outbox_backlog",
      "Outbox messages committed and not yet published",
      registers,
      this.#backlog,
    );
    countedGauge(
      "saga_outbox_parked",
      "Outbox messages the broker kept refusing, kept unsent with their reason",
      registers,
      this.#parked,
    );
    const gauge: Gauge = new Gauge({
      name: "saga_broker_connected",
      help: "1 while the broker connection is up, else 0",
      registers,
      collect: () => gauge.set(this.brokerConnected() ? 1 : 0),
    });
  }

  /** Where the outbox backlog gauge counts unsent rows. */
  countOutboxWith(count: () => Promise<number>): void {
    this.#backlog.push(count);
  }

  /** Where the parked-outbox gauge counts the rows the broker kept refusing. */
  countParkedWith(count: () => Promise<number>): void {
    this.#parked.push(count);
  }

  /** What the connection gauge asks. */
  connectionFrom(isConnected: () => boolean): void {
    this.#connected.push(isConnected);
  }

  /** Whether every transport this registry meters is connected to its broker (false before one is). */
  brokerConnected(): boolean {
    return this.#connected.length > 0 && this.#connected.every((up) => up());
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** What GET /metrics serves: one service's metrics (a ServiceMetrics) or several services' (combinedMetrics). */
export interface MetricsExposition {
  /** The Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
}

/**
 * The metrics of services sharing a process (npm start) as one exposition: each metric once, with every service's
 * samples under it, told apart by their `service` label (concatenating the registries' texts would repeat names).
 */
export function combinedMetrics(services: readonly ServiceMetrics[]): MetricsExposition {
  return {
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    async text() {
      const each = await Promise.all(services.map((service) => service.registry.getMetricsAsJSON()));
      // Samples are summed only where all their labels agree, and `service` differs: each is kept as it is.
      return AggregatorRegistry.aggregate(each).metrics();
    },
  };
}

/**
 * Serves GET /metrics on its own port (the participants have no HTTP API), and GET /health for a container's
 * healthcheck: `200 {"ok": true, "checks": {"broker": true}}` while the broker connection is up, else 503 (like the
 * order service's). Port 0 picks a free one.
 */
export async function serveMetrics(
  metrics: ServiceMetrics,
  port: number,
  host = "127.0.0.1",
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/health") {
      const broker = metrics.brokerConnected();
      response
        .writeHead(broker ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify({ ok: broker, checks: { broker } }));
      return;
    }
    if (request.method !== "GET" || request.url !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("GET /metrics or GET /health\n");
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { "content-type": metrics.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const url = `http://${host}:${typeof address === "object" && address ? address.port : port}/metrics`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A gauge that sums what its counts say when scraped (a count that fails makes it NaN, not a scrape error). */
function countedGauge(
  name: string,
  help: string,
  registers: Registry[],
  counts: readonly (() => Promise<number>)[],
): void {
  new Gauge({
    name,
    help,
    registers,
    async collect() {
      const each = await Promise.all(counts.map((count) => count().catch(() => Number.NaN)));
      this.set(each.reduce((a, b) => a + b, 0));
    },
  });
}
