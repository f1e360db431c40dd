import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffGraphs, type DiffFinding, type DiffOptions } from "../../src/diff/contract-diff.js";
import type { ContractGraph } from "../../src/diff/graph.js";
import { loadGraphs } from "../../src/diff/load-graph.js";
import { renderFindings, summarise } from "../../src/diff/report.js";
import { cli, REPO } from "../helpers.js";

/**
 * The acceptance cases on the real contracts. Each variant is a copy of contracts/ edited in a temporary folder
 * (never the real one), shown as `contracts/...` like the real one, so only the edited contracts are parsed again.
 */
const CREATE_TICKET = "restaurant-service.yaml";
const REQUIRED_TABLE: [string, string, string][] = [
  [
    CREATE_TICKET,
    "      required: [order_id, customer_id, items]",
    "      required: [order_id, customer_id, items, table]",
  ],
  [
    CREATE_TICKET,
    "        order_id:\n          type: integer\n          description: The order the ticket is for.\n",
    "        order_id:\n          type: integer\n          description: The order the ticket is for.\n        table:\n          type: integer\n",
  ],
];
const NO_TICKET_ID: [string, string, string][] = [
  [
    CREATE_TICKET,
    "      required: [ticket_id]\n      properties:\n        ticket_id:\n          type: integer\n          description: The new ticket.\n",
    "      properties: {}\n",
  ],
];
const ACCOUNTING = "accounting-service.yaml";
/** The reply's transaction_id may be null: today's order service refuses that reply and the saga stalls. */
const NULLABLE_TRANSACTION: [string, string, string][] = [
  [
    ACCOUNTING,
    "        transaction_id:\n          type: integer\n",
    '        transaction_id:\n          type: [integer, "null"]\n',
  ],
];
const DESCRIPTION: [string, string, string][] = [
  [CREATE_TICKET, "description: The new ticket.", "description: The ticket just opened for the order."],
];

function variant(edits: [string, string, string][]): string {
  const root = mkdtempSync(path.join(tmpdir(), "asyncgen-real-"));
  cpSync(path.join(REPO, "contracts"), path.join(root, "contracts"), { recursive: true });
  for (const [file, find, replace] of edits) {
    const target = path.join(root, "contracts", file);
    const text = readFileSync(target, "utf8");
    if (!text.includes(find)) throw new Error(`${JSON.stringify(find)} is not in ${file}`);
    writeFileSync(target, text.replace(find, replace));
  }
  return root;
}

async function diffReal(
  root: string,
  options: DiffOptions = {},
): Promise<{ findings: DiffFinding[]; before?: ContractGraph }> {
  const graphs = await loadGraphs({ root: REPO, dir: "contracts" }, { root, dir: "contracts" }, false);
  if (graphs.identical) return { findings: [] };
  return { findings: diffGraphs(graphs.before, graphs.after, options), before: graphs.before };
}

const lineOf = (root: string, file: string, text: string) =>
  readFileSync(path.join(root, "contracts", file), "utf8")
    .split("\n")
    .indexOf(text) + 1;

let tableAdded: DiffFinding[];
let ticketIdRemoved: DiffFinding[];
let tableRoot: string;
beforeAll(async () => {
  tableRoot = variant(REQUIRED_TABLE);
  tableAdded = (await diffReal(tableRoot)).findings;
  ticketIdRemoved = (await diffReal(variant(NO_TICKET_ID))).findings;
}, 120_000);

describe("asyncgen diff on the real contracts", () => {
  it("finds nothing between the contracts and themselves, nor after a description edit", async () => {
    expect(
      await loadGraphs({ root: REPO, dir: "contracts" }, { root: REPO, dir: "contracts" }, false),
    ).toEqual({
      identical: true,
    });
    const { findings, before } = await diffReal(variant(DESCRIPTION));
    expect(findings).toEqual([]);
    expect(diffGraphs(before!, before!)).toEqual([]); // parsed, not just compared as text
  });

  it("calls a required field added to the create-ticket command breaking for order-service, its sender", () => {
    const finding = tableAdded.find((f) => f.rule === "field-required-added");
    expect(finding).toMatchObject({
      verdict: "breaking",
      subjects: ["restaurant_service.create_ticket"],
      message: "restaurant_service.create_ticket /table: required field table added",
      location: {
        file: "contracts/restaurant-service.yaml",
        line: lineOf(tableRoot, CREATE_TICKET, "        table:"),
        column: 9,
      },
    });
    expect(finding?.affected).toContainEqual({ service: "order-service", role: "sender" });
    expect(finding?.reason).toContain("would reject what order-service sends today");
    expect(tableAdded.map((f) => f.rule)).toEqual(["field-required-added"]);
  });

  it("calls ticket_id removed from its success reply breaking for order-service, its receiver", () => {
    expect(ticketIdRemoved).toHaveLength(1);
    expect(ticketIdRemoved[0]).toMatchObject({
      rule: "field-removed",
      verdict: "breaking",
      message:
        "restaurant_service.create_ticket.response.success /ticket_id: field ticket_id removed (it was required)",
      location: { file: "contracts/restaurant-service.yaml" },
    });
    expect(ticketIdRemoved[0]?.affected).toContainEqual({ service: "order-service", role: "receiver" });
    expect(ticketIdRemoved[0]?.reason).toContain(
      "old receivers of restaurant_service.create_ticket.response.success (order-service)",
    );
  });

  it("calls a nullable transaction_id in the authorize-card reply breaking under FULL: order-service must deploy first", async () => {
    const root = variant(NULLABLE_TRANSACTION);
    const full = (await diffReal(root)).findings;
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({
      rule: "type-changed",
      verdict: "breaking",
      compatibility: "FULL",
      breaks: ["senders-first"],
      deployFirst: { role: "receiver", services: ["order-service"] },
      affected: [{ service: "order-service", role: "receiver" }],
      message:
        "accounting_service.authorize_card.response.success /transaction_id: type integer -> integer|null",
    });
    expect(full[0]?.reason).toContain(
      "old receivers of accounting_service.authorize_card.response.success (order-service) would reject what accounting-service may send",
    );
    const backward = (await diffReal(root, { compatibility: "BACKWARD" })).findings;
    expect(backward[0]).toMatchObject({ verdict: "allowed", compatibility: "BACKWARD" });
    // Declared by the contract that owns the reply, the policy applies whatever the default.
    const declared = variant([
      ...NULLABLE_TRANSACTION,
      [ACCOUNTING, "  version: 2.0.0\n", "  version: 2.0.0\n  x-compatibility: BACKWARD\n"],
    ]);
    expect((await diffReal(declared, { compatibility: "FORWARD" })).findings[0]).toMatchObject({
      verdict: "allowed",
      compatibility: "BACKWARD",
    });
  });

  it("refuses a policy it does not know, with its place (exit 2)", async () => {
    const root = variant([
      [ACCOUNTING, "  version: 2.0.0\n", "  version: 2.0.0\n  x-compatibility: BACKWARDS\n"],
    ]);
    const result = await cli("diff", "contracts", path.join(root, "contracts"));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/accounting-service\.yaml:5:3 CODEGEN_CONTRACT_INVALID /);
    expect(result.err).toContain(
      'x-compatibility must be one of FULL, BACKWARD, FORWARD, NONE, not "BACKWARDS"',
    );
  });

  it("writes well-formed GitHub annotations: errors, warnings and notices", () => {
    const findings = [...tableAdded, ...ticketIdRemoved];
    const allowed = { ...findings[0]!, verdict: "allowed" as const };
    const safe = {
      ...findings[0]!,
      verdict: "safe" as const,
      affected: [],
      message: "a, b: 100%\nnext line",
    };
    const all = [...findings, allowed, safe];
    const lines = renderFindings(all, "github", summarise(all, undefined));
    expect(lines).toHaveLength(all.length);
    for (const line of lines)
      expect(line).toMatch(/^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=[^:]+::.+$/);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["::error", "::error", "::warning", "::notice"]);
    expect(lines[3]).toContain("a, b: 100%25%0Anext line");
  });

  it("runs end to end: exit 1, file:line:col, rule, verdict and affected services", async () => {
    const result = await cli("diff", "contracts", path.join(tableRoot, "contracts"));
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /restaurant-service\.yaml:\d+:9 field-required-added breaking restaurant_service\.create_ticket \/table: required field table added \[affects order-service \(sender\), restaurant-service \(receiver\)\] — /,
    );
    expect(result.out).toContain(
      "1 change(s): 1 breaking, 0 allowed (by the compatibility policy or a major version bump), 0 safe",
    );
  });
});
