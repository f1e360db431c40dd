import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "@saga/service-kit";

/** There is no Docker engine here, so the compose file is checked as data: it runs the commands tested here. */
const REPO = path.resolve(import.meta.dirname, "../../..");
const compose = parse(readFileSync(path.join(REPO, "docker-compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<
    string,
    {
      command?: string[];
      environment?: Record<string, string>;
      healthcheck?: unknown;
      depends_on?: Record<string, { condition: string }>;
      volumes?: string[];
      ports?: string[];
      hostname?: string;
    }
  >;
  volumes: Record<string, unknown>;
};
const SERVICES = ["order-service", "consumer-service", "restaurant-service", "accounting-service"];

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
      expect(manifest.scripts.start).toBe("tsx src/main.ts");
      expect(existsSync(path.join(REPO, "services", service, "src/main.ts"))).toBe(true);
    },
  );

  it("takes credentials from the environment, never guest, and health-checks the infrastructure", () => {
    const text = readFileSync(path.join(REPO, "docker-compose.yaml"), "utf8");
    expect(text).not.toMatch(/guest/);
    expect(compose.services["order-service"]!.environment!.AMQP_URL).toContain("${RABBITMQ_PASSWORD");
    for (const service of ["rabbitmq", "postgres", "order-service"])
      expect(compose.services[service]!.healthcheck).toBeDefined();
  });

  it("runs the order service on PostgreSQL with its own role, created from the environment", () => {
    const orderService = compose.services["order-service"]!;
    const postgres = compose.services["postgres"]!;
    const url = new URL(orderService.environment!.DATABASE_URL!.replace(/\$\{(\w+):-[^}]*\}/g, "$1"));
    expect(url.protocol).toBe("postgres:");
    expect(url.host).toBe("postgres:5432");
    expect([url.username, url.password]).toEqual(["ORDER_DB_USER", "ORDER_DB_PASSWORD"]);
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
