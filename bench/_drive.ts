import { SagaCompletions } from "./saga-events.js";
const url = process.argv[2]!; const conc = Number(process.argv[3]); const secs = Number(process.argv[4]);
const c = await SagaCompletions.connect(url);
const until = Date.now() + secs * 1000; let n = 0; const t0 = Date.now();
await Promise.all(Array.from({ length: conc }, async () => { while (Date.now() < until) { const r = await fetch(`${url}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ consumer_id: 70, card_id: 3, price: 20, items: [{ name: "Dish 1", quantity: 2 }] }) }); const { saga_id } = (await r.json()) as { saga_id: number }; await c.done(saga_id); n++; } }));
console.log(`${(n / ((Date.now() - t0) / 1000)).toFixed(1)} sagas/s at ${conc}`);
c.close();
