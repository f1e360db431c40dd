import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runDiff, type DiffArgs } from "../../src/commands/diff-command.js";
import { cli, FIXTURES, REPO } from "../helpers.js";
import { DIFF_FIXTURES } from "./fixture-cases.js";

/** The command: two folders, a git ref, the default base for the gate, output formats, usage errors. */
const KITCHEN = "contracts/kitchen.yaml";
let repo: string;

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
    cwd: repo,
    encoding: "utf8",
    stdio: "pipe",
  });
}

function edit(file: string, find: string, replace: string): void {
  const target = path.join(repo, file);
  const text = readFileSync(target, "utf8");
  if (!text.includes(find)) throw new Error(`${find} not in ${file}`);
  writeFileSync(target, text.replace(find, replace));
}

async function diffIn(args: Partial<DiffArgs> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runDiff(
    {
      dirs: [],
      against: undefined,
      contractsDir: "contracts",
      format: "text",
      allowRemoteRefs: false,
      cwd: repo,
      ...args,
    },
    (line) => lines.push(line),
  );
  return { code, out: lines.join("\n") };
}

const saved = { cwd: process.cwd(), base: process.env.ASYNCGEN_DIFF_BASE };
afterEach(() => {
  process.chdir(saved.cwd);
  if (saved.base === undefined) delete process.env.ASYNCGEN_DIFF_BASE;
  else process.env.ASYNCGEN_DIFF_BASE = saved.base;
});

beforeAll(() => {
  delete process.env.ASYNCGEN_DIFF_BASE;
  repo = mkdtempSync(path.join(tmpdir(), "asyncgen-git-"));
  cpSync(path.join(FIXTURES, "basic"), path.join(repo, "contracts"), { recursive: true });
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "accepted contracts");
});

describe("asyncgen diff --against a git ref", () => {
  it("skips, saying why, when there is no accepted state to compare with", async () => {
    const first = await diffIn(); // clean tree: HEAD~1, which a first commit (or a shallow clone) lacks
    expect(first).toEqual({
      code: 0,
      out: expect.stringMatching(
        /^asyncgen diff: skipped the breaking-change check: HEAD has no parent commit/,
      ),
    });
    expect((await diffIn({ format: "github" })).out).toMatch(/^::notice title=asyncgen diff skipped::/);
    process.env.ASYNCGEN_DIFF_BASE = "origin/main";
    expect((await diffIn()).out).toContain("ASYNCGEN_DIFF_BASE=origin/main is not a commit here");
  });

  it("refuses an explicit ref that does not exist (exit 2)", async () => {
    process.chdir(repo);
    const result = await cli("diff", "--against", "HEAD~1");
    expect(result.code).toBe(2);
    expect(result.err).toContain("--against HEAD~1: no such git ref");
  });

  it("compares with HEAD while contracts/ has uncommitted changes, then with HEAD~1 once committed", async () => {
    edit("contracts/shared/headers.yaml", "format: uuid", "format: email"); // a file in a subfolder
    edit(KITCHEN, "enum: [starter, main, dessert]", "enum: [starter, main]");
    const dirty = await diffIn();
    expect(dirty.code).toBe(1);
    expect(dirty.out).toMatch(
      /^contracts\/kitchen\.yaml:\d+:\d+ enum-value-removed breaking kitchen\.cook_dish \/type/m,
    );
    expect(dirty.out).toMatch(/^contracts\/shared\/headers\.yaml:\d+:\d+ constraint-changed breaking/m);
    expect(dirty.out).toContain("2 change(s) since HEAD: 2 breaking");

    git("commit", "-qam", "unannounced break");
    const committed = await diffIn();
    expect(committed.code).toBe(1);
    expect(committed.out).toContain("since HEAD~1");

    process.env.ASYNCGEN_DIFF_BASE = "HEAD";
    expect(await diffIn()).toEqual({ code: 0, out: "asyncgen diff: no contract changes since HEAD" });
  });

  it("lets a breaking change pass when its owner bumps the major version", async () => {
    edit(KITCHEN, "version: 2.1.0", "version: 3.0.0");
    const json = await diffIn({ against: "HEAD~1", format: "json" });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as {
      base: string;
      breaking: number;
      findings: { verdict: string }[];
    };
    expect(report.base).toBe("HEAD~1");
    expect(report.breaking).toBe(0);
    // Both changes are to kitchen.cook_dish (one in a shared file it references), which kitchen owns.
    expect(report.findings.map((f) => f.verdict)).toEqual(["allowed", "allowed"]);
  });
});

describe("asyncgen diff <old> <new>", () => {
  it("exits 0 on safe changes and 1 on breaking ones, in every format", async () => {
    const pair = (name: string, from: string, to: string) => [
      path.join(DIFF_FIXTURES, name, from),
      path.join(DIFF_FIXTURES, name, to),
    ];
    const safe = await cli("diff", ...pair("field-added-open", "old", "new"));
    expect(safe.code).toBe(0);
    expect(safe.out).toMatch(
      /kitchen\.yaml:\d+:\d+ field-added safe kitchen\.cook_dish\.response\.failure \/chef/,
    );
    // One more enum value: old receivers refuse it from upgraded senders, so FULL fails and BACKWARD allows it.
    const widened = pair("enum-value-removed", "new", "old");
    const full = await cli("diff", ...widened);
    expect(full.code).toBe(1);
    expect(full.out).toMatch(
      /kitchen\.yaml:\d+:\d+ enum-value-added breaking kitchen\.cook_dish \/type: .* \[affects kitchen \(receiver\)\] — .*; receivers \(kitchen\) must deploy first, which FULL does not promise/,
    );
    const backward = await cli("diff", ...widened, "--compatibility", "BACKWARD");
    expect(backward.code).toBe(0);
    expect(backward.out).toMatch(
      /enum-value-added allowed .* as BACKWARD promises \(receivers deploy first\)/,
    );
    expect((await cli("diff", ...widened, "--compatibility", "SIDEWAYS")).code).toBe(2);
    const github = await cli("diff", ...pair("enum-value-removed", "old", "new"), "--format", "github");
    expect(github.code).toBe(1);
    expect(github.out).toMatch(
      /^::error file=[^,]+kitchen\.yaml,line=\d+,col=\d+,title=enum-value-removed \(breaking\)::kitchen\.cook_dish \/type: .* \[affects waiter \(sender\)\]: /,
    );
  });

  it("refuses one folder, or folders with --against (exit 2)", async () => {
    expect((await cli("diff", "contracts")).code).toBe(2);
    expect((await cli("diff", "a", "b", "--against", "HEAD")).code).toBe(2);
  });

  it("is described by --help", () => {
    const help = execFileSync("node", [path.join(REPO, "generator/codegen/bin/asyncgen.js"), "--help"], {
      encoding: "utf8",
    });
    expect(help).toMatch(/asyncgen diff \[dirs\.\.\]\s+Breaking-change check/);
    const diffHelp = execFileSync(
      "node",
      [path.join(REPO, "generator/codegen/bin/asyncgen.js"), "diff", "--help"],
      { encoding: "utf8" },
    );
    expect(diffHelp).toMatch(/--compatibility[\s\S]*"FULL", "BACKWARD", "FORWARD", "NONE"/);
  });
});
