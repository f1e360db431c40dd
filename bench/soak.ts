import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createTestVhost } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "@asyncgen/saga/testing";
import { SagaCompletions, startSystem, type RunningSystem } from "@saga/order-service/testing";
import { OrderDriver } from "./order-driver.js";

/**
 * `npm run bench -- --soak 5m`: the system at 64 orders in flight for minutes, with a short retention, printing every
 * database's size and row counts as it goes, so one can see the sizes level off once the retention window is
 * reached. Off by default. `--postgres` puts the order service on a fresh PostgreSQL database (sizes from
 * pg_total_relation_size). The retention settings (DEDUP_RETENTION_MS, ...) can be set in the environment; unset,
 * the soak uses the short windows below.
 */

/** Short enough that a few minutes show the plateau; the grace is part of it (no dedup pruning before it ends). */
const SOAK_RETENTION = {
  DEDUP_RETENTION_MS: "60000",
  SENT_OUTBOX_RETENTION_MS: "30000",
  HISTORY_RETENTION_MS: "60000",
  RETENTION_GRACE_MS: "30000",
} as const;

const IN_FLIGHT = 64;

/** `5m`, `90s`, `300` (seconds). */
export function parseDuration(text: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text ?? "");
  if (!match) throw new Error(`--soak takes a duration such as 5m, 90s or 300, not ${JSON.stringify(text)}`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] ?? "s"]! * 1000;
}

/** One database at one moment: sizes in MB, rows of the bookkeeping tables. */
interface DatabaseSize {
  /** The SQLite file, or PostgreSQL's tables with their indexes. */
  readonly mb: number;
  /** Pages of the pruned tables and their indexes (consumed_messages, outbox, saga_history). */
  readonly bookkeepingMb: number;
  /** Pages of every other table and index: business data, never pruned (orders, sagas, tickets, ...). */
  readonly businessMb: number;
  /** SQLite's free pages, reused by the next inserts. */
  readonly freeMb: number;
  readonly walMb: number;
  readonly rows: Record<string, number>;
}

interface Sample {
  readonly seconds: number;
  readonly sagas: number;
  readonly databases: Record<string, DatabaseSize>;
  readonly rssMb: Record<string, number>;
}

const PRUNED: readonly string[] = ["consumed_messages", "outbox", "saga_history"];
const MB = 2 ** 20;

export async function runSoak(durationMs: number, options: { postgres: boolean }): Promise<string> {
  const retention = Object.fromEntries(
    Object.entries(SOAK_RETENTION).map(([name, value]) => [name, process.env[name] || value]),
  );
  const vhost = createTestVhost("bench-soak");
  const database = options.postgres ? await createTestDatabase("soak") : undefined;
  const system = await startSystem(vhost.url, {
    APPROVE_TICKET_FAILURE_RATE: "0",
    LOG_LEVEL: "warn",
    ...retention,
    ...(database ? { DATABASE_URL: database.url } : {}),
  });
  const postgres = database ? new pg.Client({ connectionString: database.url }) : undefined;
  await postgres?.connect();
  // Deleted rows' space is reused once vacuum has been through the table. PostgreSQL runs autovacuum by default; on
  // a server where it is off, the soak vacuums the order service's tables after each sample, as autovacuum would.
  const vacuums =
    postgres !== undefined &&
    (await postgres.query<{ autovacuum: string }>("SHOW autovacuum")).rows[0]?.autovacuum === "off";
  const lines: string[] = [];
  const say = (line = "") => {
    lines.push(line);
    console.log(line);
  };
  say(`# Soak ${new Date().toISOString().slice(0, 16)}Z`);
  say();
  const settings = Object.entries(retention)
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");
  say(
    `${IN_FLIGHT} orders in flight for ${durationMs / 1000} s, order service on ${database ? "PostgreSQL" : "SQLite"}; ` +
      `retention: ${settings}.` +
      (vacuums
        ? " This PostgreSQL server runs with `autovacuum = off`: the soak runs VACUUM on the order service's tables" +
          " after each sample, as autovacuum would."
        : ""),
  );
  say();
  say(
    "Each cell: size in MB = bookkeeping (the pruned tables and their indexes) + business data (never pruned) + free" +
      " pages (SQLite; reused by later inserts), then the WAL file; rows of consumed_messages / outbox / saga_history.",
  );
  say();
  const sqliteFiles = () =>
    readdirSync(system.dataDir)
      .filter((file) => file.endsWith(".sqlite"))
      .map((file) => file.replace(/\.sqlite$/, ""))
      .sort();
  let header = false;
  let placed = 0;
  const started = Date.now();
  const samples: Sample[] = [];
  const sample = async () => {
    const current: Sample = {
      seconds: Math.round((Date.now() - started) / 1000),
      sagas: placed,
      databases: {},
      rssMb: rssOf(system),
    };
    if (postgres) Object.assign(current.databases, await postgresSizes(postgres, vacuums));
    for (const name of sqliteFiles())
      current.databases[name] = sqliteSizes(path.join(system.dataDir, `${name}.sqlite`));
    samples.push(current);
    if (!header) {
      header = true;
      const names = Object.keys(current.databases);
      say(`| s | sagas | ${names.join(" | ")} | RSS MB (order / consumer / restaurant / accounting) |`);
      say(`|---|---|${names.map(() => "---").join("|")}|---|`);
    }
    const cells = Object.values(current.databases).map(
      ({ mb, bookkeepingMb, businessMb, freeMb, walMb, rows }) =>
        `${mb.toFixed(1)} = ${bookkeepingMb.toFixed(1)} + ${businessMb.toFixed(1)} + ${freeMb.toFixed(1)}` +
        `${walMb > 0 ? `, wal ${walMb.toFixed(1)}` : ""}; ${PRUNED.filter((t) => t in rows)
          .map((t) => rows[t])
          .join(" / ")}`,
    );
    const rss = ["order-service", "consumer-service", "restaurant-service", "accounting-service"]
      .map((name) => (current.rssMb[name] ?? 0).toFixed(0))
      .join(" / ");
    say(`| ${current.seconds} | ${current.sagas} | ${cells.join(" | ")} | ${rss} |`);
  };
  const every = Math.max(5000, Math.round(durationMs / 20));
  try {
    await sample();
    const completions = await SagaCompletions.connect(system.url);
    const driver = new OrderDriver(system.url, IN_FLIGHT);
    const until = Date.now() + durationMs;
    let sampling = Promise.resolve();
    const timer = setInterval(() => (sampling = sampling.then(sample)), every);
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (Date.now() < until) {
          const saga = await driver.place({
            consumer_id: 70,
            card_id: 3,
            price: 20,
            items: [{ name: "Dish 1", quantity: 2 }],
          });
          await completions.done(saga);
          placed++;
        }
      }),
    );
    clearInterval(timer);
    await sampling;
    await sample();
    completions.close();
    driver.close();
    say();
    say(summary(samples, Number(retention.DEDUP_RETENTION_MS) + Number(retention.RETENTION_GRACE_MS)));
  } finally {
    await postgres?.end();
    await system.stop();
    await database?.drop();
    vhost.remove();
  }
  const file = path.join(
    import.meta.dirname,
    "results",
    `soak-${new Date().toISOString().slice(0, 10)}-${database ? "postgres" : "sqlite"}.md`,
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${lines.join("\n")}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  return file;
}

/** Each database's growth once the retention window and its grace have passed: bookkeeping, and the whole file. */
function summary(samples: readonly Sample[], windowMs: number): string {
  const settled = samples.filter((s) => s.seconds * 1000 >= windowMs + 30_000);
  if (settled.length < 2)
    return "The run was too short to pass the retention window and its grace: no plateau to judge.";
  const first = settled[0]!;
  const last = settled.at(-1)!;
  const sagas = Math.max(1, last.sagas - first.sagas);
  const perSaga = (mb: number) => `${((mb * MB) / sagas).toFixed(0)} B/saga`;
  const parts = Object.keys(last.databases).map((name) => {
    const [from, to] = [first.databases[name]!, last.databases[name]!];
    const rows = (size: DatabaseSize) => Object.values(size.rows).reduce((a, b) => a + b, 0);
    return `| ${name} | ${rows(from)} -> ${rows(to)} | ${from.bookkeepingMb.toFixed(1)} -> ${to.bookkeepingMb.toFixed(1)} (${perSaga(to.bookkeepingMb - from.bookkeepingMb)}) | ${from.businessMb.toFixed(1)} -> ${to.businessMb.toFixed(1)} (${perSaga(to.businessMb - from.businessMb)}) | ${from.mb.toFixed(1)} -> ${to.mb.toFixed(1)} (${perSaga(to.mb - from.mb)}) |`;
  });
  return [
    `From ${first.seconds} s to ${last.seconds} s (after the window and its grace; ${sagas} more sagas):`,
    "",
    "| database | bookkeeping rows | bookkeeping MB | business data MB | whole size MB |",
    "|---|---|---|---|---|",
    ...parts,
  ].join("\n");
}

function sqliteSizes(file: string): DatabaseSize {
  const size = (f: string) => (existsSync(f) ? statSync(f).size / MB : 0);
  const rows: Record<string, number> = {};
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    for (const table of PRUNED) {
      const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
      if (exists) rows[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    }
    // dbstat: the pages of every table and index, by the table it belongs to.
    const pages = db
      .prepare(
        `SELECT coalesce(m.tbl_name, d.name) AS name, sum(d.pgsize) AS bytes FROM dbstat d
         LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1`,
      )
      .all() as { name: string; bytes: number }[];
    const sum = (keep: (name: string) => boolean) =>
      pages.filter((p) => keep(p.name)).reduce((total, p) => total + p.bytes, 0) / MB;
    const free =
      ((db.pragma("freelist_count", { simple: true }) as number) *
        (db.pragma("page_size", { simple: true }) as number)) /
      MB;
    return {
      mb: size(file),
      bookkeepingMb: sum((name) => PRUNED.includes(name)),
      businessMb: sum((name) => !PRUNED.includes(name)),
      freeMb: free,
      walMb: size(`${file}-wal`),
      rows,
    };
  } finally {
    db.close();
  }
}

/**
 * Every schema of the soak's PostgreSQL database as one database: the order service's tables (`public`), and each
 * participant's schema where participants run on PostgreSQL too.
 */
async function postgresSizes(client: pg.Client, vacuum: boolean): Promise<Record<string, DatabaseSize>> {
  const { rows: tables } = await client.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
       AND table_name NOT LIKE '%_migrations' ORDER BY 1, 2`,
  );
  if (vacuum && tables.length > 0)
    await client.query(`VACUUM ${tables.map((t) => `"${t.schema}"."${t.name}"`).join(", ")}`);
  const sizes: Record<string, DatabaseSize> = {};
  for (const schema of [...new Set(tables.map((t) => t.schema))]) {
    const rows: Record<string, number> = {};
    let bookkeeping = 0;
    let business = 0;
    for (const { name } of tables.filter((t) => t.schema === schema)) {
      const table = `"${schema}"."${name}"`;
      const { rows: result } = await client.query<{ n: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${table}) AS n, pg_total_relation_size('${table}') AS bytes`,
      );
      const bytes = Number(result[0]!.bytes);
      if (PRUNED.includes(name)) {
        rows[name] = Number(result[0]!.n);
        bookkeeping += bytes;
      } else business += bytes;
    }
    const label = schema === "public" ? "order-service" : schema.replace(/_/g, "-");
    sizes[`${label} (PostgreSQL)`] = {
      mb: (bookkeeping + business) / MB,
      bookkeepingMb: bookkeeping / MB,
      businessMb: business / MB,
      freeMb: 0,
      walMb: 0,
      rows,
    };
  }
  return sizes;
}

function rssOf(system: RunningSystem): Record<string, number> {
  return Object.fromEntries(
    Object.entries(system.processes).map(([name, child]) => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        return [name, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024];
      } catch {
        return [name, 0];
      }
    }),
  );
}
