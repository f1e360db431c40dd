import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

/** There is no Docker engine here, so the compose file is checked as data: it runs the commands tested here. */
const REPO = path.resolve(import.meta.dirname, "../../..");
const compose = parse(readFileSync(path.join(REPO, "docker-compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<
    string,
    { command?: string[]; environment?: Record<string, string>; healthcheck?: unknown; depends_on?: unknown }
  >;
};

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
});
