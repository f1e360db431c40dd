import { DEFAULT_RETENTION, type RetentionPolicy } from "@asyncgen/saga";

/**
 * Every setting of the README's table, read and validated in one place, the same way in every start mode
 * (`npm start`, `npm start -w services/<name>`, docker compose). Settings come only from the environment; an empty
 * variable counts as unset. Every bad value is reported at once, each with the variable's name.
 */
export interface ServiceConfig {
  /** RabbitMQ URL. Default: the local broker, whose `guest` user works only from localhost. */
  readonly amqpUrl: string;
  /** `auto` falls back to the in-process broker when nothing answers at AMQP_URL; `amqp` requires RabbitMQ. */
  readonly broker: "auto" | "amqp" | "in-process";
  /** The order service's HTTP API. */
  readonly port: number;
  readonly host: string;
  /** Folder for SQLite files (while `DATABASE_URL` is unset). */
  readonly dataDir: string;
  /**
   * `DATABASE_URL` (postgres://...): every service keeps its state in PostgreSQL instead of SQLite (each participant
   * in a schema of its own), and may run as several instances.
   */
  readonly databaseUrl: string | undefined;
  /** How often the restaurant's approve_ticket fails transiently (0 to 1). */
  readonly approveTicketFailureRate: number;
  /** How long a saga step waits for its reply before the command is resent. */
  readonly stepDeadlineMs: number;
  /** `OUTBOX_LEASE_MS` (any service on PostgreSQL): how long a dead instance's claimed outbox rows stay its own. */
  readonly outboxLeaseMs: number;
  /** `DEDUP_RETENTION_MS`: how long consumed-message ids are kept for deduplication; 0 keeps them forever. */
  readonly dedupRetentionMs: number;
  /** `SENT_OUTBOX_RETENTION_MS`: how long outbox rows are kept once the broker confirmed them; 0: forever. */
  readonly sentOutboxRetentionMs: number;
  /** `HISTORY_RETENTION_MS` (order service): how long a finished saga's history is kept; 0: forever. */
  readonly historyRetentionMs: number;
  /** `RETENTION_GRACE_MS`: after a start or reconnection to the broker, no dedup record is pruned for this long. */
  readonly retentionGraceMs: number;
  readonly logLevel: string;
  /** `LOG_PRETTY`: true readable lines, false JSON, undefined: readable on a terminal (see logger.ts). */
  readonly logPretty: boolean | undefined;
  /** `METRICS_PORT`: where a participant started alone serves GET /metrics; unset, it serves none. */
  readonly metricsPort: number | undefined;
}

/** The defaults the README's settings table lists. */
export const CONFIG_DEFAULTS = {
  amqpUrl: "amqp://guest:guest@127.0.0.1:5672",
  broker: "auto",
  port: 3000,
  host: "127.0.0.1",
  dataDir: "./data",
  approveTicketFailureRate: 0.3,
  stepDeadlineMs: 10_000,
  /** The saga package's DEFAULT_OUTBOX_LEASE_MS (not imported: that module loads pg). */
  outboxLeaseMs: 3_000,
  /** The saga package's DEFAULT_RETENTION. */
  dedupRetentionMs: DEFAULT_RETENTION.dedupMs,
  sentOutboxRetentionMs: DEFAULT_RETENTION.sentOutboxMs,
  historyRetentionMs: DEFAULT_RETENTION.historyMs,
  retentionGraceMs: DEFAULT_RETENTION.graceMs,
  logLevel: "info",
} as const;

/** A bad setting: names every variable that is wrong. Code `CONFIG_INVALID`. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code = "CONFIG_INVALID";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid settings: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** The environment variables readConfig reads (the README's settings table lists exactly these). */
export const CONFIG_VARIABLES = [
  "AMQP_URL",
  "BROKER",
  "PORT",
  "HOST",
  "DATA_DIR",
  "DATABASE_URL",
  "AMQP_PASSWORD",
  "DATABASE_PASSWORD",
  "APPROVE_TICKET_FAILURE_RATE",
  "STEP_DEADLINE_MS",
  "OUTBOX_LEASE_MS",
  "DEDUP_RETENTION_MS",
  "SENT_OUTBOX_RETENTION_MS",
  "HISTORY_RETENTION_MS",
  "RETENTION_GRACE_MS",
  "LOG_LEVEL",
  "LOG_PRETTY",
  "METRICS_PORT",
] as const;

type Variable = (typeof CONFIG_VARIABLES)[number];

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const problems: string[] = [];
  const raw = (name: Variable): string | undefined => (env[name] === "" ? undefined : env[name]);
  /** Runs one setting's parser; a failure is collected, and the default stands in so reading goes on. */
  const setting = <T>(name: Variable, fallback: T, parse: (value: string) => T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    try {
      return parse(value);
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`);
      return fallback;
    }
  };
  const must = (ok: boolean, expected: string, value: string): void => {
    if (!ok) throw new Error(`must be ${expected}, not ${JSON.stringify(value)}`);
  };
  const number = (expected: string, ok: (n: number) => boolean) => (value: string) => {
    const n = Number(value);
    must(value.trim() !== "" && ok(n), expected, value);
    return n;
  };

  const milliseconds = number(
    "a whole number of milliseconds (0 or more)",
    (n) => Number.isSafeInteger(n) && n >= 0,
  );
  const port = number("a port number (0 to 65535)", (n) => Number.isInteger(n) && n >= 0 && n <= 65_535);
  const config: ServiceConfig = {
    amqpUrl: setting("AMQP_URL", CONFIG_DEFAULTS.amqpUrl, (value) => {
      // Only the scheme is shown: the rest may hold a password.
      if (!/^amqps?:\/\/[^/]/.test(value))
        throw new Error(`must be an amqp:// or amqps:// URL, not ${JSON.stringify(value.split(":")[0])}:...`);
      return value;
    }),
    broker: setting("BROKER", CONFIG_DEFAULTS.broker, (value) => {
      must(value === "auto" || value === "amqp" || value === "in-process", "auto, amqp or in-process", value);
      return value as ServiceConfig["broker"];
    }),
    port: setting("PORT", CONFIG_DEFAULTS.port, port),
    host: setting("HOST", CONFIG_DEFAULTS.host, (value) => value),
    dataDir: setting("DATA_DIR", CONFIG_DEFAULTS.dataDir, (value) => value),
    databaseUrl: setting("DATABASE_URL", undefined, (value) => {
      if (!/^postgres(ql)?:\/\//.test(value))
        throw new Error(`must be a postgres:// URL, not ${JSON.stringify(value.split(":")[0])}:...`);
      return value;
    }),
    approveTicketFailureRate: setting(
      "APPROVE_TICKET_FAILURE_RATE",
      CONFIG_DEFAULTS.approveTicketFailureRate,
      number("a number from 0 to 1", (n) => n >= 0 && n <= 1),
    ),
    stepDeadlineMs: setting(
      "STEP_DEADLINE_MS",
      CONFIG_DEFAULTS.stepDeadlineMs,
      number("a whole number of milliseconds (1 or more)", (n) => Number.isSafeInteger(n) && n >= 1),
    ),
    outboxLeaseMs: setting(
      "OUTBOX_LEASE_MS",
      CONFIG_DEFAULTS.outboxLeaseMs,
      number("a whole number of milliseconds (3 or more)", (n) => Number.isSafeInteger(n) && n >= 3),
    ),
    dedupRetentionMs: setting("DEDUP_RETENTION_MS", CONFIG_DEFAULTS.dedupRetentionMs, milliseconds),
    sentOutboxRetentionMs: setting(
      "SENT_OUTBOX_RETENTION_MS",
      CONFIG_DEFAULTS.sentOutboxRetentionMs,
      milliseconds,
    ),
    historyRetentionMs: setting("HISTORY_RETENTION_MS", CONFIG_DEFAULTS.historyRetentionMs, milliseconds),
    retentionGraceMs: setting("RETENTION_GRACE_MS", CONFIG_DEFAULTS.retentionGraceMs, milliseconds),
    logLevel: setting("LOG_LEVEL", CONFIG_DEFAULTS.logLevel, (value) => {
      must(LOG_LEVELS.includes(value), `one of ${LOG_LEVELS.join(", ")}`, value);
      return value;
    }),
    logPretty: setting("LOG_PRETTY", undefined, (value) => {
      must(["1", "true", "0", "false"].includes(value), "1, true, 0 or false", value);
      return value === "1" || value === "true";
    }),
    metricsPort: setting("METRICS_PORT", undefined, port),
  };
  // A password of its own variable goes into its URL percent-encoded, so any character is safe (compose uses this).
  const amqpPassword = setting("AMQP_PASSWORD", undefined, (value) => {
    // amqplib decodes the URL's password with unescape(), which reads %XX as Latin-1: only ASCII survives.
    if (!/^[\x20-\x7e]+$/.test(value)) throw new Error("must be printable ASCII (amqplib reads no other)");
    return value;
  });
  const databasePassword = setting("DATABASE_PASSWORD", undefined, (value) => {
    if (config.databaseUrl === undefined) throw new Error("is set without DATABASE_URL");
    return value;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...config,
    ...(amqpPassword === undefined ? {} : { amqpUrl: withPassword(config.amqpUrl, amqpPassword) }),
    ...(databasePassword === undefined || config.databaseUrl === undefined
      ? {}
      : { databaseUrl: withPassword(config.databaseUrl, databasePassword) }),
  };
}

/**
 * The URL with its password replaced by `password`, percent-encoded: `encodeURIComponent` leaves only characters
 * that mean nothing in a URL's user part (the WHATWG password setter would leave `%` as it is).
 */
export function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  const user = parsed.username;
  parsed.username = "";
  parsed.password = "";
  const [scheme, rest] = [parsed.protocol, parsed.href.slice(parsed.protocol.length + 2)];
  return `${scheme}//${user}:${encodeURIComponent(password)}@${rest}`;
}

/** The retention windows of the settings, as the saga package's pruner takes them. */
export function retentionPolicy(config: ServiceConfig): RetentionPolicy {
  return {
    dedupMs: config.dedupRetentionMs,
    sentOutboxMs: config.sentOutboxRetentionMs,
    historyMs: config.historyRetentionMs,
    graceMs: config.retentionGraceMs,
  };
}

/**
 * readConfig for a process's entry point: a bad setting ends the process with exit code 2 and one line per
 * problem on stderr, before anything starts.
 */
export function readConfigOrExit(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  try {
    return readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${error.code}: ${problem}\n`);
    process.exit(2);
  }
}
