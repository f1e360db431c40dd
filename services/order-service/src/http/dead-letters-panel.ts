/**
 * The dashboard's dead-letter section: every dead-lettered message with its queue, error and payload, a replay and
 * a discard button per message and a "replay all" per queue. Its own markup and script, refreshed every 3 s and
 * after each action, so the rest of the page does not depend on it.
 */
export function deadLettersPanel(): string {
  return `<section id="dead-letters">
      <h2>Dead letters <span class="muted" id="dead-letters-summary"></span></h2>
      <table>
        <thead><tr><th>queue</th><th>type</th><th>error</th><th>dead-lettered</th><th>replays</th><th></th></tr></thead>
        <tbody id="dead-letter-rows"><tr><td class="muted" colspan="6">None.</td></tr></tbody>
      </table>
      <p id="dead-letter-result" class="muted"></p>
    </section>
    <script>
      (() => {
        const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
        const rows = document.getElementById("dead-letter-rows");
        async function load() {
          const list = await fetch("/dead-letters").then((r) => r.json());
          const queues = Object.entries(list.queues).filter(([, n]) => n > 0);
          document.getElementById("dead-letters-summary").innerHTML = queues.map(([q, n]) =>
            esc(q) + ": " + n + ' <button type="button" data-action="replay" data-queue="' + esc(q) + '" data-all="1">replay all</button>').join(" · ");
          rows.innerHTML = list.dead_letters.length === 0 ? '<tr><td class="muted" colspan="6">None.</td></tr>' : list.dead_letters.map((d) =>
            '<tr data-message-id="' + esc(d.message_id) + '"><td>' + esc(d.queue) + "</td><td>" + esc(d.type) + '</td><td title="' + esc(JSON.stringify(d.payload)) + '"><b>' +
            esc(d.error_code) + "</b> " + esc(d.reason.slice(0, 160)) + '</td><td class="muted">' + esc((d.dead_lettered_at ?? "").slice(0, 19)) + "</td><td>" + d.replay_count +
            '</td><td><button type="button" data-action="replay" data-queue="' + esc(d.queue) + '" data-id="' + esc(d.message_id) + '">replay</button>' +
            '<button type="button" data-action="discard" data-queue="' + esc(d.queue) + '" data-id="' + esc(d.message_id) + '">discard</button></td></tr>').join("");
        }
        document.getElementById("dead-letters").addEventListener("click", async (e) => {
          const button = e.target.closest("button[data-action]");
          if (!button) return;
          const { action, queue, id, all } = button.dataset;
          const body = all ? { queue, all: true } : { queue, message_id: id };
          const response = await fetch("/dead-letters/" + action, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          const result = await response.json();
          const taken = result.replayed ?? result.discarded;
          document.getElementById("dead-letter-result").textContent = response.ok ? action + "ed " + taken.length + " message(s) of " + result.queue : result.code + ": " + result.error;
          await load();
        });
        setInterval(load, 3000);
        load();
      })();
    </script>`;
}
