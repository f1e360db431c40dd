/** Settings every service reads from the environment; credentials never come from anywhere else. */
export interface ServiceConfig {
  /** RabbitMQ URL. Default: the local broker, whose `guest` user works only from localhost. */
  readonly amqpUrl: string;
  /** `auto` falls back to the in-process broker when RabbitMQ does not answer; `amqp` requires RabbitMQ. */
  readonly broker: "auto" | "amqp" | "in-process";
  /** Folder for SQLite files. */
  readonly dataDir: string;
  readonly logLevel: string;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const broker = env.BROKER ?? "auto";
  if (broker !== "auto" && broker !== "amqp" && broker !== "in-process") {
    throw new Error(`BROKER must be auto, amqp or in-process, not ${JSON.stringify(broker)}`);
  }
  return {
    amqpUrl: env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672",
    broker,
    dataDir: env.DATA_DIR ?? "./data",
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
