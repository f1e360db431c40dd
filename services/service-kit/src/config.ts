/** Settings every service reads from the environment; credentials never come from anywhere else. */
export interface ServiceConfig {
  /** RabbitMQ URL. Default: the local broker, whose `guest` user works only from localhost. */
  readonly amqpUrl: string;
  /** `auto` falls back to the in-process broker when RabbitMQ does not answer; `amqp` requires RabbitMQ. */
  readonly broker: "auto" | "amqp" | "in-process";
  /** Folder for SQLite files. */
  readonly dataDir: string;
  /** `DATABASE_URL` (postgres://...): the order service keeps its state in PostgreSQL instead of SQLite. */
  readonly databaseUrl: string | undefined;
  readonly logLevel: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const broker = env.BROKER ?? "auto";
  if (broker !== "auto" && broker !== "amqp" && broker !== "in-process") {
    throw new Error(`BROKER must be auto, amqp or in-process, not ${JSON.stringify(broker)}`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Only the scheme is shown: the rest may hold a password.
    throw new Error(
      `DATABASE_URL must be a postgres:// URL, not ${JSON.stringify(databaseUrl.split(":")[0])}:...`,
    );
  }
  return {
    amqpUrl: env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672",
    broker,
    dataDir: env.DATA_DIR ?? "./data",
    databaseUrl,
    logLevel: env.LOG_LEVEL ?? "info",
  };
}

/** A number from the environment, with a default and a clear error for garbage. */
export function numberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, not ${JSON.stringify(raw)}`);
  return value;
}
