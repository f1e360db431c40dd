import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETENTION } from "@asyncgen/saga";
import {
  CONFIG_DEFAULTS,
  CONFIG_VARIABLES,
  ConfigError,
  readConfig,
  retentionPolicy,
} from "../src/config.js";

const README = readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");

/** The README's settings table: the `variable | default | meaning` rows, as [variables, defaults]. */
function readmeSettings(): [string[], string][] {
  const table = README.split("Settings come only from the environment:")[1]!.split("\n\n")[1]!;
  return table
    .split("\n")
    .slice(2)
    .map((row) => row.split("|").map((cell) => cell.trim()))
    .map(([, names, defaults]) => [[...names!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!), defaults!]);
}

const problemsOf = (env: NodeJS.ProcessEnv): readonly string[] => {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("CONFIG_INVALID");
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
};

describe("readConfig: every setting of the README, one module for every start mode", () => {
  it("reads exactly the variables the README's settings table lists, with its defaults", () => {
    const rows = readmeSettings();
    expect(rows.flatMap(([names]) => names).sort()).toEqual([...CONFIG_VARIABLES].sort());
    const documented = rows.map(([, defaults]) => defaults).join(" ");
    for (const value of Object.values(CONFIG_DEFAULTS)) expect(documented).toContain(`\`${value}\``);
  });

  it("uses the defaults when nothing (or an empty string) is set", () => {
    const expected = {
      ...CONFIG_DEFAULTS,
      databaseUrl: undefined,
      logPretty: undefined,
      metricsPort: undefined,
    };
    expect(readConfig({})).toEqual(expected);
    expect(readConfig(Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, ""])))).toEqual(expected);
  });

  it("reads every variable", () => {
    expect(
      readConfig({
        AMQP_URL: "amqps://app:pw@broker:5671/orders",
        BROKER: "amqp",
        PORT: "0",
        HOST: "0.0.0.0",
        DATA_DIR: "/var/lib/saga",
        DATABASE_URL: "postgres://db/orders",
        APPROVE_TICKET_FAILURE_RATE: "1",
        STEP_DEADLINE_MS: "250",
        OUTBOX_LEASE_MS: "1500",
        DEDUP_RETENTION_MS: "60000",
        SENT_OUTBOX_RETENTION_MS: "0",
        HISTORY_RETENTION_MS: "120000",
        RETENTION_GRACE_MS: "30000",
        LOG_LEVEL: "debug",
        LOG_PRETTY: "0",
        METRICS_PORT: "9464",
      }),
    ).toEqual({
      amqpUrl: "amqps://app:pw@broker:5671/orders",
      broker: "amqp",
      port: 0,
      host: "0.0.0.0",
      dataDir: "/var/lib/saga",
      databaseUrl: "postgres://db/orders",
      approveTicketFailureRate: 1,
      stepDeadlineMs: 250,
      outboxLeaseMs: 1500,
      dedupRetentionMs: 60_000,
      sentOutboxRetentionMs: 0,
      historyRetentionMs: 120_000,
      retentionGraceMs: 30_000,
      logLevel: "debug",
      logPretty: false,
      metricsPort: 9464,
    });
  });

  it.each<[string, string, RegExp]>([
    [
      "STEP_DEADLINE_MS",
      "abc",
      /^STEP_DEADLINE_MS must be a whole number of milliseconds \(1 or more\), not "abc"$/,
    ],
    ["STEP_DEADLINE_MS", "0", /not "0"$/],
    ["STEP_DEADLINE_MS", "1.5", /not "1.5"$/],
    ["OUTBOX_LEASE_MS", "2", /3 or more\), not "2"$/],
    ...["DEDUP_RETENTION_MS", "SENT_OUTBOX_RETENTION_MS", "HISTORY_RETENTION_MS", "RETENTION_GRACE_MS"].map(
      (name): [string, string, RegExp] => [
        name,
        "-1",
        /must be a whole number of milliseconds \(0 or more\), not "-1"$/,
      ],
    ),
    ["DEDUP_RETENTION_MS", "1d", /not "1d"$/],
    [
      "APPROVE_TICKET_FAILURE_RATE",
      "1.5",
      /^APPROVE_TICKET_FAILURE_RATE must be a number from 0 to 1, not "1.5"$/,
    ],
    ["APPROVE_TICKET_FAILURE_RATE", "often", /not "often"$/],
    ["PORT", "70000", /^PORT must be a port number \(0 to 65535\), not "70000"$/],
    ["PORT", " ", /^PORT must be a port number/],
    ["BROKER", "rabbit", /^BROKER must be auto, amqp or in-process, not "rabbit"$/],
    [
      "LOG_LEVEL",
      "verbose",
      /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"$/,
    ],
    [
      "AMQP_URL",
      "http://guest:secret@host",
      /^AMQP_URL must be an amqp:\/\/ or amqps:\/\/ URL, not "http":\.\.\.$/,
    ],
  ])("refuses %s=%j with the variable's name and what it must be", (name, value, message) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).not.toContain("secret");
  });

  it("puts AMQP_PASSWORD and DATABASE_PASSWORD into their URLs percent-encoded, replacing a password there", () => {
    const password = "p@ss:w/rd#%41? +&=";
    const config = readConfig({
      AMQP_URL: "amqp://saga@rabbitmq:5672/orders",
      AMQP_PASSWORD: password,
      DATABASE_URL: "postgres://orders:old@postgres:5432/orders",
      DATABASE_PASSWORD: `${password}é`,
    });
    expect(config.amqpUrl).toBe("amqp://saga:p%40ss%3Aw%2Frd%23%2541%3F%20%2B%26%3D@rabbitmq:5672/orders");
    // What each client reads back: amqplib unescape()s the URL's password, pg decodeURIComponent()s it.
    expect(unescape(new URL(config.amqpUrl).password)).toBe(password);
    const database = new URL(config.databaseUrl!);
    expect([
      database.username,
      decodeURIComponent(database.password),
      database.host,
      database.pathname,
    ]).toEqual(["orders", `${password}é`, "postgres:5432", "/orders"]);
    // Without a user in the URL, amqplib's default one keeps the password given.
    expect(readConfig({ AMQP_PASSWORD: "x" }).amqpUrl).toBe("amqp://guest:x@127.0.0.1:5672");
  });

  it("refuses a password amqplib cannot read, and a database password without a database", () => {
    expect(problemsOf({ AMQP_PASSWORD: "pässword" })).toEqual([
      "AMQP_PASSWORD must be printable ASCII (amqplib reads no other)",
    ]);
    expect(problemsOf({ DATABASE_PASSWORD: "secret" })).toEqual([
      "DATABASE_PASSWORD is set without DATABASE_URL",
    ]);
  });

  it("hands the retention settings to the pruner as the saga package's policy, defaulting to its defaults", () => {
    expect(retentionPolicy(readConfig({}))).toEqual(DEFAULT_RETENTION);
    expect(
      retentionPolicy(
        readConfig({
          DEDUP_RETENTION_MS: "5",
          SENT_OUTBOX_RETENTION_MS: "6",
          HISTORY_RETENTION_MS: "7",
          RETENTION_GRACE_MS: "8",
        }),
      ),
    ).toEqual({ dedupMs: 5, sentOutboxMs: 6, historyMs: 7, graceMs: 8 });
  });

  it("reports every bad setting at once", () => {
    expect(problemsOf({ STEP_DEADLINE_MS: "abc", PORT: "x", BROKER: "y" })).toEqual([
      expect.stringMatching(/^BROKER /),
      expect.stringMatching(/^PORT /),
      expect.stringMatching(/^STEP_DEADLINE_MS /),
    ]);
  });
});
