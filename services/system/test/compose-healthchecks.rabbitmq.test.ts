import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createTestVhost, TEST_AMQP_BASE } from "@asyncgen/runtime/testing";
import { createTestDatabase } from "@asyncgen/saga/testing";
import { npmStart, tempDir } from "@saga/service-kit/testing";
import { compose, healthCheckScript, withDefaults } from "./compose-file.js";

/**
 * docker-compose.yaml's services as its containers run them, minus Docker: each started with its compose command and
 * environment (the hosts pointed at the local RabbitMQ and PostgreSQL), its password passed apart from the URL as
 * compose passes it, and then judged by its compose healthcheck's own script.
 */
const run = promisify(execFile);
/** Every character that means something in a URL; ASCII, as amqplib reads only that. */
const PASSWORD = "p@ss:w/rd#%41? +&=";

/** Runs a service's compose healthcheck against the port it really listens on; resolves to the exit code. */
async function healthcheck(service: string, composePort: string, port: string): Promise<number> {
  const script = healthCheckScript(service).replace(`127.0.0.1:${composePort}/`, `127.0.0.1:${port}/`);
  return run("node", ["-e", script]).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
}

describe("docker-compose.yaml's healthchecks, run against its services", () => {
  const vhost = createTestVhost("compose-health");
  const user = `compose-${randomBytes(4).toString("hex")}`;
  let amqpUrl: string;

  beforeAll(() => {
    // A broker user whose password could not go into a URL unencoded.
    execFileSync("rabbitmqctl", ["-q", "add_user", user, PASSWORD], { stdio: "pipe" });
    execFileSync("rabbitmqctl", ["-q", "set_permissions", "-p", vhost.vhost, user, ".*", ".*", ".*"], {
      stdio: "pipe",
    });
    const url = new URL(withDefaults(compose.services["consumer-service"]!.environment!.AMQP_URL!));
    url.username = user;
    url.host = new URL(TEST_AMQP_BASE).host;
    url.pathname = `/${encodeURIComponent(vhost.vhost)}`;
    amqpUrl = url.href;
  });
  afterAll(() => {
    execFileSync("rabbitmqctl", ["-q", "delete_user", user], { stdio: "pipe" });
    vhost.remove();
  });

  /** The service's compose environment with its defaults, and what differs outside a container. */
  const environment = (service: string, overrides: Record<string, string>) => ({
    ...Object.fromEntries(
      Object.entries(compose.services[service]!.environment!).map(([name, value]) => [
        name,
        withDefaults(value),
      ]),
    ),
    AMQP_URL: amqpUrl,
    AMQP_PASSWORD: PASSWORD,
    DATA_DIR: tempDir(`compose-${service}`),
    ...overrides,
  });

  it.each(["consumer-service", "restaurant-service", "accounting-service"])(
    "%s answers its healthcheck once connected with the encoded password, and fails it when gone",
    async (service) => {
      const composePort = compose.services[service]!.environment!.METRICS_PORT!;
      // On PostgreSQL as in compose (a database of its own here, which trusts local connections).
      const database = await createTestDatabase("compose_participant");
      onTestFinished(() => database.drop());
      const url = new URL(database.url);
      const started = npmStart(
        service,
        environment(service, {
          METRICS_PORT: "0",
          DATABASE_URL: `postgres://${url.username || "postgres"}@${url.host}${url.pathname}`,
          DATABASE_PASSWORD: PASSWORD,
        }),
      );
      let port: string | undefined;
      try {
        await started.waitForOutput(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 60_000);
        port = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(started.output())![1]!;
        expect(started.output()).toContain(`"msg":"broker: RabbitMQ at amqp://${user}:***@`);
        await expect(healthcheck(service, composePort, port)).resolves.toBe(0);
      } finally {
        await started.stop();
      }
      // Stopped, nothing answers: the same check fails.
      await expect(healthcheck(service, composePort, port!)).resolves.toBe(1);
    },
    90_000,
  );

  it("order-service answers its healthcheck on PostgreSQL and RabbitMQ, both passwords passed apart", async () => {
    const database = await createTestDatabase("compose_health");
    const url = new URL(database.url);
    const composeUrl = new URL(withDefaults(compose.services["order-service"]!.environment!.DATABASE_URL!));
    expect(composeUrl.password).toBe("");
    // PostgreSQL here trusts local connections, so the password only has to survive the URL intact.
    const started = npmStart(
      "order-service",
      environment("order-service", {
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: `postgres://${url.username || "postgres"}@${url.host}${url.pathname}`,
        DATABASE_PASSWORD: PASSWORD,
      }),
    );
    try {
      await started.waitForOutput(/HTTP API on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
      const port = /HTTP API on http:\/\/127\.0\.0\.1:(\d+)/.exec(started.output())![1]!;
      expect(started.output()).toContain("(database: postgres://");
      expect(started.output()).not.toContain(encodeURIComponent(PASSWORD));
      await expect(
        healthcheck("order-service", compose.services["order-service"]!.environment!.PORT!, port),
      ).resolves.toBe(0);
    } finally {
      await started.stop();
      await database.drop();
    }
  }, 90_000);
});
