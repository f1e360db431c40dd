import { deadLettersPanel } from "./dead-letters-panel.js";
import { DEMO_SCENARIOS } from "./demo-scenarios.js";
import { pageHead } from "./page-head.js";

/**
 * The live dashboard: counts, charts of sagas per second and step latencies, dead-lettered messages, the latest
 * sagas (refreshed on every server-sent transition, with polling as a fallback), one saga's timeline and its
 * messages as a sequence diagram, and the demo scenarios. Plain HTML and a small script; the charts are drawn by
 * /assets/charts.js from the service's own JSON: nothing is loaded from anywhere else.
 */
export function dashboardPage(): string {
  const buttons = Object.entries(DEMO_SCENARIOS)
    .map(
      ([id, s]) => `<button type="button" data-scenario="${id}">${s.title.replace(/[<>&"]/g, "")}</button>`,
    )
    .join("\n        ");
  return `<!doctype html>
<html lang="en">
  <head>
    ${pageHead("CreateOrderSaga dashboard")}
    <style>
      body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 2rem; color: #1d2430; }
      .cards { display: flex; gap: 1rem; margin: 1rem 0; } .card { border: 1px solid #dde3ec; border-radius: 6px; padding: 0.6rem 1rem; min-width: 9rem; }
      .card b { display: block; font-size: 1.6rem; } table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
      th, td { border-bottom: 1px solid #e6ebf2; padding: 0.3rem 0.5rem; text-align: left; } tr[data-saga] { cursor: pointer; }
      tr.selected { background: #eef4ff; } .succeeded { color: #2e7d32; font-weight: 600; } .failed { color: #c62828; font-weight: 600; }
      .running { color: #1f4e9c; } .layout { display: grid; grid-template-columns: 3fr 2fr; gap: 2rem; }
      @media (max-width: 48rem) { body { padding: 0.5rem 1rem; } .layout { grid-template-columns: minmax(0, 1fr); } .layout > section { min-width: 0; } table { display: block; overflow-x: auto; } .cards { flex-wrap: wrap; } .card { min-width: 6rem; } }
      ol.timeline { list-style: none; padding-left: 0; } ol.timeline li { border-left: 3px solid #b8c4d6; padding: 0.2rem 0.6rem; margin: 0.1rem 0; }
      ol.timeline li.compensating, ol.timeline li.compensated { border-color: #b35c00; } ol.timeline li.succeeded { border-color: #2e7d32; } ol.timeline li.failed { border-color: #c62828; }
      .muted { color: #5b6778; font-size: 0.85rem; } button { margin: 0.2rem; padding: 0.4rem 0.8rem; cursor: pointer; }
      .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; } .charts figure { margin: 0; min-width: 0; }
      .charts figcaption { font-weight: 600; margin-bottom: 0.3rem; } .flow { overflow-x: auto; }
      @media (max-width: 48rem) { .charts { grid-template-columns: minmax(0, 1fr); gap: 1rem; } }
    </style>
  </head>
  <body>
    <h1>CreateOrderSaga dashboard</h1>
    <p class="muted"><a href="/">home</a> · <a href="/docs">contracts documentation</a> · live: <span id="live">connecting…</span></p>
    <div>
        ${buttons}
    </div>
    <div class="cards">
      <div class="card">running<b id="count-running">0</b></div>
      <div class="card">succeeded<b id="count-succeeded">0</b></div>
      <div class="card">failed<b id="count-failed">0</b></div>
      <div class="card">dead-lettered<b id="count-dead">0</b></div>
      <div class="card">parked in outbox<b id="count-parked">0</b></div>
    </div>
    <ul id="parked" class="muted"></ul>
    <section class="charts">
      <figure><figcaption>Sagas per second <span class="muted">(last 5 minutes)</span></figcaption><div id="chart-throughput"></div></figure>
      <figure><figcaption>Step latency, p50 / p99 <span class="muted">(waits for a reply, last 5 minutes)</span></figcaption><div id="chart-latency"></div></figure>
    </section>
    <div class="layout">
      <section>
        <h2>Sagas</h2>
        <table>
          <thead><tr><th>saga</th><th>status</th><th>failed step</th><th>updated</th></tr></thead>
          <tbody id="sagas"></tbody>
        </table>
      </section>
      <section>
        <h2>Timeline <span id="timeline-title" class="muted"></span></h2>
        <ol class="timeline" id="timeline"><li class="muted">Click a saga.</li></ol>
        <pre id="failure" class="muted"></pre>
      </section>
    </div>
    <section>
      <h2>Messages <span id="messages-title" class="muted"></span></h2>
      <div class="flow" id="sequence"><p class="muted">Click a saga to see its commands and replies across the services.</p></div>
    </section>
    ${deadLettersPanel()}
    <script type="module">
      import { latencySvg, sequenceSvg, throughputSvg } from "/assets/charts.js";
      let selected = null;
      const text = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
      const kind = (status) => status === "succeeded" || status === "failed" ? status : /compensat/.test(status) ? "compensating" : "running";
      async function refresh() {
        const [list, stats] = await Promise.all([fetch("/sagas?limit=50").then((r) => r.json()), fetch("/stats").then((r) => r.json())]);
        for (const k of ["running", "succeeded", "failed"]) document.getElementById("count-" + k).textContent = list.counts[k];
        document.getElementById("count-dead").textContent = Object.values(stats.dead_lettered).reduce((a, n) => a + (n ?? 0), 0);
        document.getElementById("count-parked").textContent = stats.outbox_parked.length;
        document.getElementById("parked").innerHTML = stats.outbox_parked.map((p) =>
          "<li>" + text(p.service) + ": " + text(p.type) + " to " + text(p.routing_key) + ": " + text(p.park_reason) + "</li>").join("");
        document.getElementById("sagas").innerHTML = list.sagas.map((s) =>
          '<tr data-saga="' + s.id + '" class="' + (s.id === selected ? "selected" : "") + '"><td>#' + s.id + '</td><td class="' + kind(s.status) + '" data-status>' +
          text(s.status) + "</td><td>" + text(s.failed_step ?? "") + '</td><td class="muted">' + text(s.updated_at.slice(11, 23)) + "</td></tr>").join("");
        if (Date.now() - chartsDrawn > 2000) drawCharts();
        if (selected !== null) await showTimeline(selected);
      }
      async function showTimeline(id) {
        selected = id;
        const response = await fetch("/sagas/" + id);
        if (!response.ok) {
          document.getElementById("timeline-title").textContent = "saga #" + id + " (not found)";
          document.getElementById("timeline").innerHTML = "";
          return;
        }
        const saga = await response.json();
        document.getElementById("timeline-title").textContent = "saga #" + id + " (" + saga.status + ")";
        document.getElementById("timeline").innerHTML = saga.history.map((h) =>
          '<li class="' + (h.status.split(".")[1] ?? h.status) + '">' + text(h.status) + ' <span class="muted">' + text(h.at.slice(11, 23)) +
          (h.detail ? " · " + text(JSON.stringify(h.detail)) : "") + "</span></li>").join("");
        document.getElementById("failure").textContent = saga.failure_details ? JSON.stringify(saga.failure_details, null, 2) : "";
        const messages = await fetch("/sagas/" + id + "/messages");
        if (!messages.ok) return;
        const sequence = await messages.json();
        document.getElementById("messages-title").textContent = "saga #" + id + " (" + sequence.messages.length + " messages)";
        document.getElementById("sequence").innerHTML = sequenceSvg(sequence);
      }
      // The charts redraw every 2 s at most (a busy system sends transitions far more often), and every 2 s anyway.
      let chartsDrawn = 0;
      async function drawCharts() {
        chartsDrawn = Date.now();
        const response = await fetch("/stats/activity?minutes=5");
        if (!response.ok) return;
        const activity = await response.json();
        document.getElementById("chart-throughput").innerHTML = throughputSvg(activity);
        document.getElementById("chart-latency").innerHTML = latencySvg(activity);
      }
      let pending = false;
      function soon() { if (pending) return; pending = true; setTimeout(() => { pending = false; refresh(); }, 150); }
      document.getElementById("sagas").addEventListener("click", (e) => { const row = e.target.closest("tr[data-saga]"); if (row) { showTimeline(Number(row.dataset.saga)); soon(); } });
      for (const button of document.querySelectorAll("button[data-scenario]")) {
        button.addEventListener("click", async () => {
          const response = await fetch("/demo/" + button.dataset.scenario, { method: "POST" });
          const saga = await response.json();
          selected = saga.id;
          soon();
        });
      }
      const events = new EventSource("/events");
      events.onopen = () => (document.getElementById("live").textContent = "server-sent events");
      events.onerror = () => (document.getElementById("live").textContent = "polling");
      events.onmessage = soon;
      setInterval(refresh, 3000);
      setInterval(() => { if (!document.hidden) drawCharts(); }, 2000);
      drawCharts();
      // /dashboard?saga=<id> (where the home page's buttons land) opens with that saga's timeline.
      const requested = Number(new URLSearchParams(location.search).get("saga"));
      if (Number.isInteger(requested) && requested > 0) selected = requested;
      refresh();
    </script>
  </body>
</html>
`;
}
