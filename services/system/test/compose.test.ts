import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "@saga/service-kit";
import { PARTICIPANT_NODE_FLAGS } from "@saga/service-kit/build";
import { compose, healthCheckScript, REPO, SERVICES, withDefaults } from "./compose-file.js";

/** There is no Docker engine here, so the compose file is checked as data: it runs the commands tested here. */
describe("docker-compose.yaml", () => {
  it("runs RabbitMQ with its management UI, PostgreSQL, and the four services", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        "accounting-service",
        "consumer-service",
        "order-service",
        "postgres",
        "rabbitmq",
        "restaurant-service",
      ].sort(),
    );
  });

  it.each(["order-service", "consumer-service", "restaurant-service", "accounting-service"])(
    "starts %s with its own one-command start, which exists",
    (service) => {
      expect(compose.services[service]!.command).toEqual(["npm", "start", "-w", `services/${service}`]);
      const manifest = JSON.parse(
        readFileSync(path.join(REPO, "services", service, "package.json"), "utf8"),
      ) as {
        scripts: Record<string, string>;
      };
      if (service === "order-service") expect(manifest.scripts.start).toBe("tsx src/main.ts");
      else {
        // A participant rebuilds its bundle (a no-op when current, as in the image) and runs it with its flags.
        expect(manifest.scripts.build).toBe("saga-bundle-service");
        expect(manifest.scripts.start).toBe(
          `npm run build --silent && node ${PARTICIPANT_NODE_FLAGS.join(" ")} dist/main.js`,
        );
      }
      expect(existsSync(path.join(REPO, "services", service, "src/main.ts"))).toBe(true);
    },
  );

  it("takes credentials from the environment, never guest", () => {
    const text = readFileSync(path.join(REPO, "docker-compose.yaml"), "utf8");
    expect(text).not.toMatch(/guest/);
    const rabbitmq = compose.services["rabbitmq"]!.environment!;
    for (const service of SERVICES) {
      const environment = compose.services[service]!.environment!;
      expect(environment.AMQP_URL).toContain("${RABBITMQ_USER");
      expect(environment.AMQP_PASSWORD).toBe(rabbitmq.RABBITMQ_DEFAULT_PASS);
    }
    expect(compose.services["order-service"]!.environment!.DATABASE_PASSWORD).toBe(
      compose.services["postgres"]!.environment!.ORDER_DB_PASSWORD,
    );
  });

  it("puts no password into a URL: the services take them apart and encode them (AMQP_PASSWORD, DATABASE_PASSWORD)", () => {
    const urls = Object.values(compose.services).flatMap((service) =>
      Object.entries(service.environment ?? {}).filter(([name]) => name.endsWith("_URL")),
    );
    expect(urls.map(([name]) => name).sort()).toEqual(
      [...SERVICES.map(() => "AMQP_URL"), ...SERVICES.map(() => "DATABASE_URL")].sort(),
    );
    for (const [name, value] of urls) {
      expect(value, name).not.toMatch(/PASSWORD/);
      expect(new URL(withDefaults(value)).password, name).toBe("");
    }
  });

  it.each([...SERVICES, "rabbitmq", "postgres"])("health-checks %s", (service) => {
    const healthcheck = compose.services[service]!.healthcheck as { test: string[]; interval: string };
    expect(healthcheck.test[0]).toMatch(/^CMD(-SHELL)?$/);
    expect(healthcheck.interval).toMatch(/^\d+s$/);
  });

  it.each(SERVICES)("health-checks %s on the port it serves /health on", (service) => {
    const { environment, healthcheck } = compose.services[service]!;
    const port = service === "order-service" ? environment!.PORT : environment!.METRICS_PORT;
    expect(port).toMatch(/^\d+$/);
    expect(healthCheckScript(service)).toContain(`http://127.0.0.1:${port}/health`);
    expect((healthcheck as { test: string[] }).test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
  });

  it("runs the order service on PostgreSQL with its own role, created from the environment", () => {
    const orderService = compose.services["order-service"]!;
    const postgres = compose.services["postgres"]!;
    const url = new URL(orderService.environment!.DATABASE_URL!.replace(/\$\{(\w+):-[^}]*\}/g, "$1"));
    expect(url.protocol).toBe("postgres:");
    expect(url.host).toBe("postgres:5432");
    expect([url.username, url.password]).toEqual(["ORDER_DB_USER", ""]);
    expect(orderService.environment!.DATABASE_PASSWORD).toBe("${ORDER_DB_PASSWORD:-orders-local-only}");
    expect(url.pathname).toBe(`/${postgres.environment!.ORDER_DB_NAME}`);
    expect(postgres.environment!.ORDER_DB_USER).toContain("${ORDER_DB_USER");
    expect(postgres.environment!.ORDER_DB_PASSWORD).toContain("${ORDER_DB_PASSWORD");
    expect(orderService.environment!.DATABASE_URL).not.toContain(postgres.environment!.POSTGRES_USER!);
    expect(orderService.depends_on).toMatchObject({
      rabbitmq: { condition: "service_healthy" },
      postgres: { condition: "service_healthy" },
    });
    // The script that creates the role runs at the container's first start; it exists where compose mounts it from.
    const init = postgres.volumes!.find((volume) => volume.includes("/docker-entrypoint-initdb.d/"))!;
    expect(existsSync(path.join(REPO, init.split(":")[0]!))).toBe(true);
  });

  it.each(["consumer-service", "restaurant-service", "accounting-service"])(
    "runs %s on the compose PostgreSQL (its own schema there), once it is healthy",
    (service) => {
      const participant = compose.services[service]!;
      expect(participant.environment!.DATABASE_URL).toBe(
        compose.services["order-service"]!.environment!.DATABASE_URL,
      );
      expect(participant.depends_on).toMatchObject({ postgres: { condition: "service_healthy" } });
      expect(participant.volumes).toBeUndefined(); // no SQLite files to keep
    },
  );

  it.each(SERVICES)("gives %s only settings the services read", (service) => {
    for (const name of Object.keys(compose.services[service]!.environment!))
      expect(CONFIG_VARIABLES as readonly string[]).toContain(name);
  });

  it("publishes ports on 127.0.0.1 unless BIND_ADDRESS says otherwise", () => {
    const ports = Object.values(compose.services).flatMap((service) => service.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^\$\{BIND_ADDRESS:-127\.0\.0\.1\}:\d+:\d+$/);
  });

  it("keeps RabbitMQ's queues on a volume, under a fixed node name", () => {
    const rabbitmq = compose.services["rabbitmq"]!;
    expect(rabbitmq.hostname).toBe("rabbitmq");
    expect(rabbitmq.volumes).toContain("rabbitmq-data:/var/lib/rabbitmq");
    expect(compose.volumes).toHaveProperty("rabbitmq-data");
  });

  it("runs the services' image as an unprivileged user", () => {
    const dockerfile = readFileSync(path.join(REPO, "services/Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
