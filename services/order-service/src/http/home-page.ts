import { DEMO_SCENARIOS } from "./demo-scenarios.js";
import { pageHead } from "./page-head.js";

const escape = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/**
 * The welcome page: one button per original demo scenario, and links to the API. Each button is a plain form post
 * (it works without script); the server answers with the dashboard showing that saga's timeline.
 */
export function homePage(): string {
  const buttons = Object.entries(DEMO_SCENARIOS)
    .map(
      ([id, s]) =>
        `<form method="post" action="/demo/${id}"><button type="submit" data-scenario="${id}">${escape(s.title)}</button></form>`,
    )
    .join("\n      ");
  return `<!doctype html>
<html lang="en">
  <head>
    ${pageHead("CreateOrderSaga demo")}
    <style>
      body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
      form { display: inline-block; margin: 0.25rem; }
      button { padding: 0.5rem 1rem; cursor: pointer; }
    </style>
  </head>
  <body>
    <h1>Welcome to saga orchestration demo!</h1>
    <p>Start one of the original scenarios; you are taken to the dashboard, where the saga's timeline and its messages between the services fill in live.</p>
    <div>
      ${buttons}
    </div>
    <h2>API</h2>
    <ul>
      <li><code>POST /orders</code> with <code>{"consumer_id", "card_id", "price", "items": [{"name", "quantity"}]}</code></li>
      <li><a href="/sagas">GET /sagas</a>, <code>GET /sagas/:id</code>, <code>GET /sagas/:id/messages</code>, <code>GET /orders/:id</code></li>
      <li><a href="/stats/activity">GET /stats/activity</a>: sagas per second and step latencies, as the dashboard's charts draw them</li>
      <li><a href="/health">GET /health</a></li>
      <li><a href="/dashboard">Dashboard</a> (live: charts, every saga's timeline and messages) and <a href="/docs">contract documentation</a></li>
    </ul>
  </body>
</html>
`;
}
