import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, REPO } from "../helpers.js";

/** `asyncgen diff` on the real contracts, its output formats, and `--against` a git ref. */
function realContracts(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "asyncgen-real-"));
  cpSync(path.join(REPO, "contracts"), dir, { recursive: true });
  return dir;
}

function edit(file: string, find: string, replace: string): void {
  const text = readFileSync(file, "utf8");
  if (!text.includes(find)) throw new Error(`${find} not in ${file}`);
  writeFileSync(file, text.replace(find, replace));
}

const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

describe("asyncgen diff on the real contracts", () => {
  it("finds nothing between the contracts and themselves", async () => {
    const result = await cli("diff", "contracts", "contracts");
    expect(result.out).toContain("no contract changes");
    expect(result.code).toBe(0);
  });

  it("calls a required field added to create_ticket breaking for order-service, its sender", async () => {
    const after = realContracts();
    const file = path.join(after, "restaurant-service.yaml");
    edit(
      file,
      "      required: [order_id, customer_id, items]",
      "      required: [order_id, customer_id, items, table]",
    );
    edit(
      file,
      "        order_id:\n          type: integer\n",
      "        table:\n          type: integer\n        order_id:\n          type: integer\n",
    );
    const result = await cli("diff", "contracts", after);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /restaurant-service\.yaml:\d+:\d+ field-required-added breaking restaurant_service\.create_ticket \/table: .*breaks its senders.*\[affects order-service\]/,
    );
  });

  it("calls ticket_id removed from the create_ticket reply breaking for order-service, its receiver", async () => {
    const after = realContracts();
    edit(
      path.join(after, "restaurant-service.yaml"),
      "      required: [ticket_id]\n      properties:\n        ticket_id:\n          type: integer\n          description: The new ticket.\n",
      "      properties: {}\n",
    );
    const result = await cli("diff", "contracts", after);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /field-removed breaking restaurant_service\.create_ticket\.response\.success \/ticket_id: .*breaks its receivers.*\[affects order-service\]/,
    );
  });

  it("does not call a description edit a change", async () => {
    const after = realContracts();
    edit(
      path.join(after, "restaurant-service.yaml"),
      "description: The new ticket.",
      "description: The ticket just created.",
    );
    const result = await cli("diff", "contracts", after);
    expect(result.code).toBe(0);
    expect(result.out).toContain("no contract changes");
  });

  it("writes well-formed GitHub annotations", async () => {
    const after = realContracts();
    edit(path.join(after, "accounting-service.yaml"), "          minimum: 0\n", "          minimum: 1\n");
    edit(path.join(after, "restaurant-service.yaml"), "description: The new ticket.", "description: x");
    const result = await cli("diff", "contracts", after, "--format", "github");
    const lines = result.out.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=[^:]+::.+$/);
  });

  it("compares --against a git ref with the working tree, and skips when the ref does not exist", async () => {
    const repo = mkdtempSync(path.join(tmpdir(), "asyncgen-git-"));
    cpSync(path.join(REPO, "contracts"), path.join(repo, "contracts"), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], {
        cwd: repo,
        stdio: "pipe",
      });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "accepted contracts");
    process.chdir(repo);
    expect((await cli("diff", "--against", "HEAD~1")).out).toContain("skipped");
    edit(
      path.join(repo, "contracts/accounting-service.yaml"),
      "          minimum: 0\n",
      "          minimum: 1\n",
    );
    const dirty = await cli("diff"); // contracts/ changed: compared with HEAD
    expect(dirty.code).toBe(1);
    expect(dirty.out).toMatch(/constraint-tightened breaking accounting_service\.authorize_card \/amount/);
    git("commit", "-qam", "tighten");
    const committed = await cli("diff"); // clean: compared with HEAD~1, as CI on main does
    expect(committed.code).toBe(1);
    expect(committed.out).toContain("since HEAD~1");
  });
});
