import { formatLocation } from "../errors.js";
import type { DiffFinding } from "./contract-diff.js";

export type DiffFormat = "text" | "json" | "github";

/** Renders findings as text lines, JSON, or GitHub workflow annotations. */
export function renderFindings(findings: readonly DiffFinding[], format: DiffFormat): string[] {
  if (format === "json") return [JSON.stringify(findings, null, 2)];
  if (format === "github") {
    return findings.map((f) => {
      const level = f.verdict === "breaking" ? "error" : f.verdict === "allowed" ? "warning" : "notice";
      const { file, line, column } = f.location;
      return `::${level} file=${file},line=${line},col=${column},title=${f.rule} (${f.verdict})::${escapeData(describe(f))}`;
    });
  }
  return findings.map((f) => `${formatLocation(f.location)} ${f.rule} ${f.verdict} ${describe(f)}`);
}

function describe(f: DiffFinding): string {
  const who = f.affected.length > 0 ? ` [affects ${f.affected.join(", ")}]` : "";
  const allowed = f.verdict === "allowed" ? ` (allowed: ${f.owner} bumped its major version)` : "";
  return `${f.message}${who}${allowed}`;
}

/** GitHub's workflow-command escaping for the message part. */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}
