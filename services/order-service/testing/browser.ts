import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's chromium driven by playwright-core (which never downloads a browser). `.ci/run` installs chromium; the
 * browser tests are skipped without it and say so.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
/** Screenshots land here (not committed; the README's come from services/order-service/screenshots). */
export const ARTIFACTS = path.resolve(import.meta.dirname, "../../../test-artifacts");

export function warnIfNoChromium(test: string): void {
  if (!hasChromium) console.warn(`${test} skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`);
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}
