/** A small inline SVG icon (a saga's three steps), so no page asks the server for /favicon.ico. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f4e9c"/>' +
  '<circle cx="4" cy="8" r="2" fill="#fff"/><circle cx="8" cy="8" r="2" fill="#fff"/><circle cx="12" cy="8" r="2" fill="#9fd29f"/></svg>';

/** The `<head>` lines every page of the order service shares: charset, mobile viewport, icon and title. */
export function pageHead(title: string): string {
  return `<meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    <title>${title}</title>`;
}
