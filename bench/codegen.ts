import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { thirdPartyDocument } from "./third-party-document.js";

const REPO = path.resolve(import.meta.dirname, "..");
/** The `asyncgen` bin of the installed @asyncgen/cli (found by its name, as an adopter's node_modules has it). */
const BIN = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@asyncgen/cli/package.json")),
  "bin/asyncgen.js",
);

/** Wall time of one cold `asyncgen` process, in seconds. */
function timed(args: readonly string[], allowDrift = false): number {
  const start = process.hrtime.bigint();
  try {
    execFileSync(process.execPath, [BIN, ...args], { cwd: REPO, stdio: "pipe" });
  } catch (error) {
    // Exit 1 is the drift the measurement provoked on purpose.
    if (!allowDrift || (error as { status?: number }).status !== 1) throw error;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface CodegenRow {
  readonly set: string;
  readonly messages: number;
  readonly generate: number;
  readonly checkUnchanged: number;
  readonly checkAfterEdit: number;
}

/**
 * A synthetic contract set `scale` times the size of the real one (which has 14 messages): a receiver contract with
 * `scale * 7` commands, each with a success reply, and a sender that references them across files.
 */
export function syntheticSet(scale: number): { dir: string; messages: number } {
  const dir = mkdtempSync(path.join(tmpdir(), `asyncgen-synthetic-${scale}x-`));
  const commands = scale * 7;
  const range = Array.from({ length: commands }, (_, i) => i);
  const queue = (name: string) =>
    `      amqp:\n        is: queue\n        queue:\n          name: ${name}\n          durable: true\n        bindingVersion: 0.3.0\n`;
  const receiver = [
    "asyncapi: 3.0.0",
    "info:\n  title: Synthetic receiver\n  version: 1.0.0",
    "channels:",
    "  commands:\n    address: synthetic.commands\n    messages:",
    ...range.map((i) => `      cmd${i}:\n        $ref: "#/components/messages/Cmd${i}"`),
    "    bindings:\n" + queue("synthetic.commands"),
    "  replies:\n    address: synthetic.replies\n    messages:",
    ...range.map((i) => `      cmd${i}Success:\n        $ref: "#/components/messages/Cmd${i}Success"`),
    "    bindings:\n" + queue("synthetic.replies"),
    "operations:",
    ...range.map(
      (i) =>
        `  cmd${i}:\n    action: receive\n    channel:\n      $ref: "#/channels/commands"\n    messages:\n      - $ref: "#/channels/commands/messages/cmd${i}"\n    reply:\n      channel:\n        $ref: "#/channels/replies"\n      messages:\n        - $ref: "#/channels/replies/messages/cmd${i}Success"`,
    ),
    "components:\n  messages:",
    ...range.flatMap((i) => [
      `    Cmd${i}:\n      name: synthetic.cmd_${i}\n      title: Command ${i}\n      payload:\n        $ref: "#/components/schemas/Cmd${i}Payload"`,
      `    Cmd${i}Success:\n      name: synthetic.cmd_${i}.response.success\n      payload:\n        $ref: "#/components/schemas/Cmd${i}Result"`,
    ]),
    "  schemas:",
    ...range.flatMap((i) => [
      `    Cmd${i}Payload:\n      title: Cmd${i}Payload\n      type: object\n      additionalProperties: false\n      required: [id, items]\n      properties:\n        id:\n          type: integer\n        note:\n          type: string\n          maxLength: 200\n        items:\n          type: array\n          items:\n            $ref: "#/components/schemas/Line${i}"`,
      `    Line${i}:\n      title: Line${i}\n      type: object\n      additionalProperties: false\n      required: [name, quantity]\n      properties:\n        name:\n          type: string\n        quantity:\n          type: integer\n          minimum: 1`,
      `    Cmd${i}Result:\n      title: Cmd${i}Result\n      type: object\n      additionalProperties: false\n      required: [ok]\n      properties:\n        ok:\n          type: boolean`,
    ]),
  ].join("\n");
  const sender = [
    "asyncapi: 3.0.0",
    "info:\n  title: Synthetic sender\n  version: 1.0.0",
    "channels:",
    '  commands:\n    $ref: "./synthetic-receiver.yaml#/channels/commands"',
    "  replies:\n    address: synthetic.replies\n    messages:",
    ...range.map(
      (i) =>
        `      cmd${i}Success:\n        $ref: "./synthetic-receiver.yaml#/components/messages/Cmd${i}Success"`,
    ),
    "    bindings:\n" + queue("synthetic.replies"),
    "operations:",
    ...range.map(
      (i) =>
        `  cmd${i}:\n    action: send\n    channel:\n      $ref: "#/channels/commands"\n    messages:\n      - $ref: "#/channels/commands/messages/cmd${i}"\n    reply:\n      channel:\n        $ref: "#/channels/replies"\n      messages:\n        - $ref: "#/channels/replies/messages/cmd${i}Success"`,
    ),
  ].join("\n");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "synthetic-receiver.yaml"), `${receiver}\n`);
  writeFileSync(path.join(dir, "synthetic-sender.yaml"), `${sender}\n`);
  return { dir, messages: commands * 2 };
}

/** `generate` and `generate --check` (unchanged, and after a contract edit) in cold processes, medians. */
export function measureCodegen(runs = 5, scales: readonly number[] = [10, 100]): CodegenRow[] {
  const rows: CodegenRow[] = [];
  const sets: [string, string, number, number][] = [
    ["4 contracts (real)", path.join(REPO, "contracts"), 14, runs],
  ];
  const thirdParty = thirdPartyDocument(120);
  sets.push([
    "1 third-party-shaped document (kafka)",
    thirdParty.dir,
    thirdParty.messages,
    Math.min(runs, 3),
  ]);
  for (const scale of scales) {
    const { dir, messages } = syntheticSet(scale);
    // Synthetic sets take tens of seconds (10x) to minutes (100x) per run: fewer runs keep the bench near 5 minutes.
    sets.push([`synthetic ${scale}x`, dir, messages, scale >= 100 ? 1 : Math.min(runs, 3)]);
  }
  for (const [set, contracts, messages, n] of sets) {
    const out = mkdtempSync(path.join(REPO, "generated", ".bench-"));
    const args = ["--contracts-dir", contracts, "--out", out];
    const generate = median(Array.from({ length: n }, () => timed(["generate", ...args])));
    const checkUnchanged = median(Array.from({ length: n }, () => timed(["generate", "--check", ...args])));
    // Touching the manifest makes --check regenerate in memory, as after a contract edit.
    const checkAfterEdit = median(
      Array.from({ length: n }, () => {
        writeFileSync(path.join(out, ".asyncgen.json"), "{}");
        return timed(["generate", "--check", ...args], true);
      }),
    );
    execFileSync("rm", ["-rf", out]);
    rows.push({ set, messages, generate, checkUnchanged, checkAfterEdit });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.table(measureCodegen(Number(process.argv[2] ?? 3)));
