import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

/**
 * docker-compose.yaml as data, for the tests that check it (there is no Docker engine here): the file parsed with its
 * merge keys, and what its values mean by default.
 */
export const REPO = path.resolve(import.meta.dirname, "../../..");
export const compose = parse(readFileSync(path.join(REPO, "docker-compose.yaml"), "utf8"), {
  merge: true,
}) as {
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
export const SERVICES = ["order-service", "consumer-service", "restaurant-service", "accounting-service"];

/** A value with compose's `${NAME:-default}` replaced by its default, as `docker compose up` sees it by default. */
export const withDefaults = (value: string): string => value.replace(/\$\{\w+:-([^}]*)\}/g, "$1");

/** The script a service's healthcheck runs (`node -e <script>`). */
export const healthCheckScript = (service: string): string =>
  (compose.services[service]!.healthcheck as { test: string[] }).test.at(-1)!;
