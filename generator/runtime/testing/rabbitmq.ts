import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

/** The broker tests use; `AMQP_URL` overrides it (without a vhost path). */
export const TEST_AMQP_BASE = (process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672").replace(
  /\/+$/,
  "",
);

/**
 * A private RabbitMQ virtual host for one test file: the contracts fix the queue names, so isolation comes from
 * the vhost, not from prefixes. Returns its AMQP URL and a function that deletes it.
 */
export function createTestVhost(label: string): { url: string; vhost: string; remove(): void } {
  const vhost = `test-${label}-${randomBytes(4).toString("hex")}`;
  const user = new URL(TEST_AMQP_BASE).username || "guest";
  execFileSync("rabbitmqctl", ["-q", "add_vhost", vhost], { stdio: "pipe" });
  execFileSync("rabbitmqctl", ["-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], {
    stdio: "pipe",
  });
  return {
    vhost,
    url: `${TEST_AMQP_BASE}/${encodeURIComponent(vhost)}`,
    remove: () => execFileSync("rabbitmqctl", ["-q", "delete_vhost", vhost], { stdio: "pipe" }),
  };
}

/** Messages waiting in a queue of a vhost (for "queues drained" and dead-letter assertions). */
export function queueDepths(vhost: string): Record<string, number> {
  const out = execFileSync(
    "rabbitmqctl",
    ["-q", "list_queues", "-p", vhost, "name", "messages", "--no-table-headers"],
    {
      encoding: "utf8",
    },
  );
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line) => {
        const [name, messages] = line.trim().split(/\s+/);
        return [name!, Number(messages)];
      }),
  );
}

/** Closes every connection of a vhost, as a broker restart or network cut would. */
export function closeConnections(vhost: string): void {
  execFileSync("rabbitmqctl", ["-q", "close_all_connections", "-p", vhost, "test: connection cut"], {
    stdio: "pipe",
  });
}
