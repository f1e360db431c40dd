import { formatLocation } from "../errors.js";
import type { Affected, DiffFinding } from "./findings.js";

export type DiffFormat = "text" | "json" | "github";

export interface DiffSummary {
  /** The git ref compared with, when there is one. */
  readonly base: string | undefined;
  readonly changes: number;
  readonly breaking: number;
  readonly allowed: number;
}

export function summarise(findings: readonly DiffFinding[], base: string | undefined): DiffSummary {
  return {
    base,
    changes: findings.length,
    breaking: findings.filter((f) => f.verdict === "breaking").length,
    allowed: findings.filter((f) => f.verdict === "allowed").length,
  };
}

/** Renders the findings: text lines, one JSON document, or GitHub workflow annotations. */
export function renderFindings(
  findings: readonly DiffFinding[],
  format: DiffFormat,
  summary: DiffSummary,
): string[] {
  if (format === "json") return [JSON.stringify({ ...summary, findings }, null, 2)];
  if (format === "github") return findings.map(annotation);
  const since = summary.base ? ` since ${summary.base}` : "";
  return [
    ...findings.map(
      (f) =>
        `${formatLocation(f.location)} ${f.rule} ${f.verdict} ${f.message}${affects(f.affected)} — ${f.reason}`,
    ),
    findings.length === 0
      ? `asyncgen diff: no contract changes${since}`
      : `asyncgen diff: ${summary.changes} change(s)${since}: ${summary.breaking} breaking, ${summary.allowed} allowed (by the compatibility policy or a major version bump), ${summary.changes - summary.breaking - summary.allowed} safe`,
  ];
}

function affects(affected: readonly Affected[]): string {
  if (affected.length === 0) return "";
  return ` [affects ${affected.map((a) => `${a.service} (${a.role})`).join(", ")}]`;
}

/** `::error file=…,line=…,col=…,title=…::message`: breaking is an error, allowed a warning, safe a notice. */
function annotation(f: DiffFinding): string {
  const level = f.verdict === "breaking" ? "error" : f.verdict === "allowed" ? "warning" : "notice";
  const { file, line, column } = f.location;
  const title = `${f.rule} (${f.verdict})`;
  const text = `${f.message}${affects(f.affected)}: ${f.reason}`;
  return `::${level} file=${property(file)},line=${line},col=${column},title=${property(title)}::${data(text)}`;
}

/** GitHub's escaping of a workflow command's message. */
function data(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** GitHub's escaping of a workflow command's property value. */
function property(text: string): string {
  return data(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
