import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

/**
 * Handlebars in its own environment: `noEscape` because the output is code, not HTML, and `strict` so a missing
 * view-model field fails generation instead of printing an empty string. Templates only loop and print; every
 * decision is made in the TypeScript that builds their view model.
 */
const handlebars = Handlebars.create();
handlebars.registerHelper("json", (value: unknown) => JSON.stringify(value));

const cache = new Map<string, HandlebarsTemplateDelegate>();

export function render(template: string, view: object): string {
  let compiled = cache.get(template);
  if (!compiled) {
    // The same path from src/emit/ and dist/emit/: the package ships src/templates/.
    const source = readFileSync(new URL(`../../src/templates/${template}.hbs`, import.meta.url), "utf8");
    compiled = handlebars.compile(source, { noEscape: true, strict: true });
    cache.set(template, compiled);
  }
  return compiled(view);
}

/** Turns free text from a contract into JSDoc lines that cannot close the comment early. */
export function docLines(...parts: (string | undefined)[]): string[] {
  return parts
    .filter((part): part is string => typeof part === "string" && part.trim().length > 0)
    .flatMap((part, index) => [
      ...(index > 0 ? [""] : []),
      ...part.trim().replaceAll("*/", "*\\/").split("\n"),
    ]);
}
