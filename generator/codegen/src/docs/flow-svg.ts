/** One arrow of the saga's message flow. */
export interface FlowArrow {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly kind: "command" | "compensation" | "success" | "failure";
}

const COLORS = {
  command: "#1f4e9c",
  compensation: "#b35c00",
  success: "#2e7d32",
  failure: "#c62828",
} as const;
const escape = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/**
 * A sequence diagram as inline SVG: one lifeline per service, one arrow per message in contract order. Drawn here,
 * so the page needs no script and nothing from the network.
 */
export function flowSvg(lanes: readonly string[], arrows: readonly FlowArrow[]): string {
  const laneWidth = 230;
  const top = 50;
  const step = 34;
  const width = lanes.length * laneWidth;
  const height = top + arrows.length * step + 30;
  const x = (lane: string) => lanes.indexOf(lane) * laneWidth + laneWidth / 2;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="CreateOrderSaga message flow" font-family="system-ui, sans-serif" font-size="12">`,
    `<defs>${Object.entries(COLORS)
      .map(
        ([kind, color]) =>
          `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${color}"/></marker>`,
      )
      .join("")}</defs>`,
  ];
  for (const lane of lanes) {
    parts.push(
      `<rect x="${x(lane) - 95}" y="8" width="190" height="26" rx="4" fill="#eef2f8" stroke="#8aa1c4"/>`,
      `<text x="${x(lane)}" y="25" text-anchor="middle" font-weight="600">${escape(lane)}</text>`,
      `<line x1="${x(lane)}" y1="34" x2="${x(lane)}" y2="${height - 10}" stroke="#b8c4d6" stroke-dasharray="4 4"/>`,
    );
  }
  arrows.forEach((arrow, index) => {
    const y = top + index * step + 10;
    const color = COLORS[arrow.kind];
    const dashed = arrow.kind === "failure" || arrow.kind === "success" ? ` stroke-dasharray="6 3"` : "";
    const [x1, x2] = [x(arrow.from), x(arrow.to)];
    parts.push(
      `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${color}" stroke-width="1.6"${dashed} marker-end="url(#arrow-${arrow.kind})"/>`,
      `<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle" fill="${color}">${escape(arrow.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
