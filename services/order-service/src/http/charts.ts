import type { SagaSequence } from "../create-order-saga/message-sequence.js";
import type { SagaActivity } from "../create-order-saga/saga-activity.js";

/**
 * The dashboard's pictures as inline SVG strings, drawn from the JSON of `/stats/activity` and
 * `/sagas/:id/messages`. The same module runs in the browser (served as `/assets/charts.js`, see browser-module.ts)
 * and in unit tests, so it imports types only and touches no DOM. Elements carry `data-` attributes naming what they
 * show, for tests and for anyone reading the page's source.
 */

const COLORS = {
  started: "#1f4e9c",
  succeeded: "#2e7d32",
  failed: "#c62828",
  command: "#1f4e9c",
  compensation: "#b35c00",
  success: "#2e7d32",
  failure: "#c62828",
  grid: "#e6ebf2",
  axis: "#5b6778",
} as const;

const escape = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** A round axis maximum at or above `value` (1, 2 or 5 times a power of ten) and round ticks up to it. */
function niceAxis(value: number): { max: number; ticks: number[] } {
  if (!(value > 0)) return { max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] };
  const power = 10 ** Math.floor(Math.log10(value));
  const factor = [1, 2, 5, 10].find((f) => f * power >= value) ?? 10;
  const divisions = factor === 2 ? 4 : 5;
  const max = factor * power;
  return {
    max,
    ticks: Array.from({ length: divisions + 1 }, (_, i) => Number(((max * i) / divisions).toPrecision(6))),
  };
}

const clock = (iso: string): string => iso.slice(11, 19);
const svgOpen = (width: number, height: number, label: string, extra = "") =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escape(label)}" font-family="system-ui, sans-serif" font-size="11"${extra}>`;

/** Sagas per second over the window: started, succeeded and failed, one line each. */
export function throughputSvg(activity: SagaActivity): string {
  const [width, height, left, right, top, bottom] = [560, 210, 40, 10, 30, 22];
  const series = ["started", "succeeded", "failed"] as const;
  const rates = activity.throughput.map((b) => series.map((s) => b[s] / activity.bucket_seconds));
  const { max, ticks } = niceAxis(Math.max(0, ...rates.flat()));
  const x = (i: number) => left + (i / Math.max(1, rates.length - 1)) * (width - left - right);
  const y = (rate: number) => top + (1 - rate / max) * (height - top - bottom);
  const parts = [svgOpen(width, height, "sagas per second", ' data-chart="throughput"')];
  for (const value of ticks) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}" stroke="${COLORS.grid}"/>`,
      `<text x="${left - 4}" y="${y(value) + 4}" text-anchor="end" fill="${COLORS.axis}">${value}</text>`,
    );
  }
  const times = activity.throughput;
  if (times.length > 0) {
    for (const [i, anchor] of [
      [0, "start"],
      [Math.floor((times.length - 1) / 2), "middle"],
      [times.length - 1, "end"],
    ] as const)
      parts.push(
        `<text x="${x(i)}" y="${height - 6}" text-anchor="${anchor}" fill="${COLORS.axis}">${clock(times[i]!.at)}</text>`,
      );
  }
  series.forEach((name, s) => {
    const total = activity.throughput.reduce((sum, b) => sum + b[name], 0);
    const points = rates.map((r, i) => `${x(i).toFixed(1)},${y(r[s]!).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline data-series="${name}" data-total="${total}" points="${points}" fill="none" stroke="${COLORS[name]}" stroke-width="1.8" stroke-linejoin="round"/>`,
      `<rect x="${left + s * 120}" y="8" width="12" height="4" fill="${COLORS[name]}"/>`,
      `<text x="${left + s * 120 + 16}" y="14" fill="#1d2430">${name} <tspan fill="${COLORS.axis}" data-total>${total}</tspan></text>`,
    );
  });
  parts.push(`<text x="6" y="${top - 8}" fill="${COLORS.axis}">/s</text>`, "</svg>");
  return parts.join("");
}

/** Each remote step's wait for its reply: a bar to p99, darker to p50. */
export function latencySvg(activity: SagaActivity): string {
  const [width, label, right, row, top] = [560, 230, 110, 26, 24];
  const steps = activity.steps;
  const height = top + Math.max(1, steps.length) * row + 8;
  const { max } = niceAxis(Math.max(1, ...steps.map((s) => s.p99_ms)));
  const w = (ms: number) => Math.max(1, (ms / max) * (width - label - right));
  const parts = [svgOpen(width, height, "step latencies, p50 and p99", ' data-chart="latency"')];
  parts.push(
    `<rect x="${label}" y="6" width="12" height="8" fill="${COLORS.command}"/><text x="${label + 16}" y="14">p50</text>`,
    `<rect x="${label + 50}" y="6" width="12" height="8" fill="#9db5dc"/><text x="${label + 66}" y="14">p99 <tspan fill="${COLORS.axis}">(scale 0 to ${max} ms)</tspan></text>`,
  );
  if (steps.length === 0)
    parts.push(
      `<text x="${label}" y="${top + 16}" fill="${COLORS.axis}">no step finished waiting in this window yet</text>`,
    );
  steps.forEach((step, i) => {
    const y = top + i * row;
    const name = step.phase === "compensation" ? `${step.step} (compensation)` : step.step;
    const color = step.phase === "compensation" ? COLORS.compensation : COLORS.command;
    parts.push(
      `<g data-step="${escape(step.step)}" data-phase="${step.phase}" data-p50="${step.p50_ms}" data-p99="${step.p99_ms}">`,
      `<title>${escape(name)}: p50 ${step.p50_ms} ms, p99 ${step.p99_ms} ms over ${step.samples} waits</title>`,
      `<text x="${label - 6}" y="${y + 15}" text-anchor="end">${escape(name)}</text>`,
      `<rect x="${label}" y="${y + 4}" width="${w(step.p99_ms)}" height="15" fill="${step.phase === "compensation" ? "#e8c49e" : "#9db5dc"}"/>`,
      `<rect x="${label}" y="${y + 4}" width="${w(step.p50_ms)}" height="15" fill="${color}"/>`,
      `<text x="${label + w(step.p99_ms) + 5}" y="${y + 15}" fill="${COLORS.axis}">${Math.round(step.p50_ms)} / ${Math.round(step.p99_ms)} ms</text>`,
      "</g>",
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/**
 * A saga's messages as a sequence diagram, drawn like the contracts' message flow in the docs (lanes named as there:
 * `order-service`): a lifeline per service, an arrow per command and reply in order, with
 * the time since the saga's first message in the left margin. Solid arrows are commands (orange: compensations),
 * dashed ones replies (green: success, red: failure).
 */
export function sequenceSvg(sequence: SagaSequence): string {
  const [gutter, lane, top, step] = [64, 250, 46, 32];
  const services = sequence.services;
  const width = gutter + services.length * lane;
  const messages = sequence.messages;
  const height = top + Math.max(1, messages.length) * step + 14;
  const x = (service: string) => gutter + Math.max(0, services.indexOf(service)) * lane + lane / 2;
  const start = messages.length > 0 ? Date.parse(messages[0]!.at) : 0;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="messages of saga ${sequence.saga_id}" data-saga="${sequence.saga_id}" font-family="system-ui, sans-serif" font-size="11">`,
    `<defs>${(["command", "compensation", "success", "failure"] as const)
      .map(
        (kind) =>
          `<marker id="seq-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${COLORS[kind]}"/></marker>`,
      )
      .join("")}</defs>`,
  ];
  for (const service of services) {
    parts.push(
      `<rect x="${x(service) - 100}" y="6" width="200" height="24" rx="4" fill="#eef2f8" stroke="#8aa1c4"/>`,
      `<text x="${x(service)}" y="22" text-anchor="middle" font-weight="600" font-size="12">${escape(service.replaceAll("_", "-"))}</text>`,
      `<line x1="${x(service)}" y1="30" x2="${x(service)}" y2="${height - 4}" stroke="#b8c4d6" stroke-dasharray="4 4"/>`,
    );
  }
  if (messages.length === 0)
    parts.push(`<text x="${gutter + 8}" y="${top + 14}" fill="${COLORS.axis}">no message sent yet</text>`);
  messages.forEach((message, index) => {
    const y = top + index * step + 12;
    const kind =
      message.kind === "reply"
        ? (message.status as "success" | "failure")
        : message.phase === "compensation"
          ? "compensation"
          : "command";
    const color = COLORS[kind];
    const [x1, x2] = [x(message.from), x(message.to)];
    const name = message.type.slice(message.type.indexOf(".") + 1);
    const note =
      message.kind === "reply"
        ? ""
        : [
            message.attempt && message.attempt > 1 ? `resend ${message.attempt - 1}` : "",
            message.status === "sent" ? "" : message.status,
          ]
            .filter(Boolean)
            .join(", ");
    const elapsed = ((Date.parse(message.at) - start) / 1000).toFixed(3);
    parts.push(
      `<g class="message" data-kind="${message.kind}" data-type="${escape(message.type)}" data-status="${message.status}" data-step="${escape(message.step)}">`,
      `<title>${escape(message.type)} (${message.status}) at ${escape(message.at)}</title>`,
      `<text x="6" y="${y + 4}" fill="${COLORS.axis}">+${elapsed} s</text>`,
      `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${color}" stroke-width="1.6"${message.kind === "reply" ? ' stroke-dasharray="6 3"' : ""} marker-end="url(#seq-${kind})"/>`,
      `<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle" fill="${color}" stroke="#fff" stroke-width="3" paint-order="stroke">${escape(name)}${note ? ` (${escape(note)})` : ""}</text>`,
      "</g>",
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
