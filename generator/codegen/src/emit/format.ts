import { format } from "prettier";

/**
 * Formatting is part of generation: a pinned Prettier with fixed options (never the user's config), so output is
 * byte-for-byte the same everywhere and templates need no whitespace care.
 */
const OPTIONS = { printWidth: 110, trailingComma: "all", endOfLine: "lf", quoteProps: "as-needed" } as const;

export function formatTypeScript(source: string): Promise<string> {
  return format(source, { ...OPTIONS, parser: "typescript" });
}

export function formatJavaScript(source: string): Promise<string> {
  return format(source, { ...OPTIONS, parser: "babel" });
}

export function formatJson(source: string): Promise<string> {
  return format(source, { ...OPTIONS, parser: "json" });
}
