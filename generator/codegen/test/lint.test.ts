import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LINT_RULES } from "../src/lint/lint.js";
import { cli, copyFixture, REPO } from "./helpers.js";

/** A waiter that sends its own copy of a message to the kitchen's queue instead of referencing the kitchen's. */
const OWN_COPY = (key: string, name: string, payload: string) => `
  ownOrders:
    address: kitchen.orders
    messages:
      ${key}:
        name: ${name}
        payload:
          ${payload}
    bindings:
      amqp:
        is: queue
        queue:
          name: kitchen.orders
          durable: true
        bindingVersion: 0.3.0
operations:
  sendOwn:
    action: send
    channel:
      $ref: "#/channels/ownOrders"
    messages:
      - $ref: "#/channels/ownOrders/messages/${key}"
    reply:
      channel:
        $ref: "#/channels/replies"
      messages:
        - $ref: "#/channels/replies/messages/dishCooked"
        - $ref: "#/channels/replies/messages/dishBurnt"`;

// [rule, file to edit, text to find, replacement, file:line the finding points at]
const CASES: [string, string, string, string, string][] = [
  [
    "queue-has-receiver",
    "kitchen.yaml",
    "          name: waiter.replies",
    "          name: waiter.inbox",
    "kitchen.yaml:38",
  ],
  // waiter consumes waiter.replies, so kitchen's contract (which publishes replies there) must declare it the same way.
  [
    "queue-binding-match",
    "waiter.yaml",
    "          durable: true",
    "          durable: false",
    "kitchen.yaml",
  ],
  [
    "queue-binding-match",
    "waiter.yaml",
    "          durable: true",
    "          durable: true\n          exclusive: true",
    "kitchen.yaml",
  ],
  [
    "queue-binding-match",
    "kitchen.yaml",
    "          name: waiter.replies\n          durable: true",
    "          name: waiter.replies\n          durable: true\n          x-queue-type: quorum",
    "kitchen.yaml",
  ],
  [
    "queue-declaration-honoured",
    "kitchen.yaml",
    "          x-delivery-limit: 3",
    "          x-delivery-limit: 3\n          x-dead-letter-exchange: kitchen.dead",
    "kitchen.yaml",
  ],
  [
    "queue-declaration-honoured",
    "kitchen.yaml",
    "          exclusive: false",
    "          exclusive: true",
    "kitchen.yaml",
  ],
  [
    "message-has-receiver",
    "waiter.yaml",
    "\noperations:",
    OWN_COPY(
      "cleanTable",
      "kitchen.clean_table",
      "{ title: CleanTable, type: object, additionalProperties: false }",
    ),
    "waiter.yaml",
  ],
  [
    "message-schema-match",
    "waiter.yaml",
    "\noperations:",
    OWN_COPY("cookDish", "kitchen.cook_dish", "{ title: Dish, type: object, additionalProperties: false }"),
    "waiter.yaml",
  ],
  [
    "reply-declared",
    "waiter.yaml",
    '        - $ref: "#/channels/replies/messages/dishBurnt"\n',
    "",
    "waiter.yaml:23",
  ],
];

describe("asyncgen lint", () => {
  it("finds nothing in a consistent contract set", async () => {
    const result = await cli("lint", "--contracts-dir", copyFixture("basic"));
    expect(result.out).toContain("no findings");
    expect(result.code).toBe(0);
  });

  it.each(CASES)("%s: reported with file:line:col and exit 1", async (rule, file, find, replace, at) => {
    const dir = copyFixture("basic");
    const target = path.join(dir, file);
    const text = readFileSync(target, "utf8");
    expect(text).toContain(find);
    writeFileSync(target, text.replace(find, replace));
    const result = await cli("lint", "--contracts-dir", dir);
    expect(result.code).toBe(1);
    const line = result.out.split("\n").find((l) => l.includes(` ${rule} `));
    expect(line, result.out).toBeDefined();
    if (rule.startsWith("queue-"))
      expect(
        result.out.split("\n").filter((l) => l.includes(` ${rule} `)),
        "reported once",
      ).toHaveLength(1);
    expect(line).toMatch(
      new RegExp(`${path.relative(REPO, dir)}/${at.replace(".", "\\.")}[:\\d]*:\\d+ ${rule} `),
    );
  });

  it("has a test case for every rule but schema-named (tested below)", () => {
    expect(new Set([...CASES.map((c) => c[0]), "schema-named"])).toEqual(new Set(Object.keys(LINT_RULES)));
  });

  it("schema-named: an object schema without a title or component key is a finding (generate names it anyway)", async () => {
    const file = "generator/codegen/test/fixtures/bad/anonymous-schema.yaml";
    const result = await cli("lint", file);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /anonymous-schema\.yaml:\d+:\d+ schema-named the schema at #\/components\/messages\/CookDish\/payload\/properties\/garnish\/properties\/extra has no title or component key \(generated as GarnishExtra\)/,
    );
  });

  it("prints findings as JSON with --format json", async () => {
    const dir = copyFixture("basic");
    const target = path.join(dir, "kitchen.yaml");
    writeFileSync(
      target,
      readFileSync(target, "utf8").replace("          name: waiter.replies", "          name: waiter.inbox"),
    );
    const result = await cli("lint", "--contracts-dir", dir, "--format", "json");
    const findings = JSON.parse(result.out) as { rule: string; location: { line: number } }[];
    expect(findings.map((f) => f.rule)).toContain("queue-has-receiver");
    expect(findings[0]!.location.line).toBeGreaterThan(0);
  });
});
