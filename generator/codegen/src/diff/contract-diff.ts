import type { SourceLocation } from "../errors.js";
import type { ContractGraph, MessageNode } from "./graph.js";
import type { DiffRule, Verdict } from "./rules.js";
import { diffSchemas, type SchemaChange } from "./schema-diff.js";

export interface DiffFinding {
  readonly rule: DiffRule;
  readonly verdict: Verdict;
  /** The services that break (or would, without the major bump). */
  readonly affected: readonly string[];
  /** The contract that owns what changed, whose major version decides "allowed". */
  readonly owner: string;
  readonly message: string;
  readonly location: SourceLocation;
}

const major = (version: string | undefined): number => Number((version ?? "0").split(".")[0]);

/** Compares two resolved contract graphs; each change is reported once, with the services it affects. */
export function diffGraphs(before: ContractGraph, after: ContractGraph): DiffFinding[] {
  const findings: DiffFinding[] = [];
  const bumped = (service: string) =>
    major(after.versions.get(service)) > major(before.versions.get(service));
  const push = (
    rule: DiffRule,
    breaking: boolean,
    affected: Iterable<string>,
    owner: string,
    message: string,
    location: SourceLocation,
  ) =>
    findings.push({
      rule,
      verdict: breaking ? (bumped(owner) ? "allowed" : "breaking") : "safe",
      affected: breaking ? [...new Set(affected)].filter((s) => s !== owner).sort() : [],
      owner,
      message,
      location,
    });

  for (const [name, old] of before.messages) {
    const now = after.messages.get(name);
    if (!now) {
      push(
        "message-removed",
        true,
        [...old.senders, ...old.receivers],
        old.owner,
        `message ${name} was removed or renamed`,
        old.locate(undefined, []),
      );
      continue;
    }
    for (const change of messageChanges(old, now)) {
      const breaking = now.ownerSends
        ? change.effect === "widens" || change.effect === "both"
        : change.effect === "narrows" || change.effect === "both";
      const affected = now.ownerSends ? now.receivers : now.senders;
      const who = now.ownerSends ? "its receivers" : "its senders";
      push(
        change.rule as DiffRule,
        breaking,
        affected,
        now.owner,
        `${name} ${change.path}: ${change.detail}${breaking ? ` (${change.effect}; breaks ${who})` : ""}`,
        now.locate(change.schema, change.schemaPath),
      );
    }
    const oldQueues = [...old.queues].sort().join(",");
    const newQueues = [...now.queues].sort().join(",");
    if (oldQueues !== newQueues) {
      push(
        "queue-changed",
        true,
        [...now.senders, ...now.receivers],
        now.owner,
        `${name} moved from queue ${oldQueues} to ${newQueues}`,
        now.locate(undefined, []),
      );
    }
  }
  for (const [name, now] of after.messages) {
    if (!before.messages.has(name))
      push("message-added", false, [], now.owner, `message ${name} was added`, now.locate(undefined, []));
  }

  for (const [name, old] of before.queues) {
    const now = after.queues.get(name);
    if (!now) continue; // its messages report queue-changed
    const shape = (q: typeof old.queue) =>
      JSON.stringify([q.durable, q.exclusive, q.autoDelete, q.arguments]);
    if (shape(old.queue) !== shape(now.queue)) {
      const users = [...after.messages.values()]
        .filter((m) => m.queues.has(name))
        .flatMap((m) => [...m.senders, ...m.receivers]);
      push(
        "binding-changed",
        true,
        users,
        "",
        `queue ${name}: ${shape(old.queue)} -> ${shape(now.queue)}`,
        now.location,
      );
    }
  }

  for (const [key, old] of before.operations) {
    const now = after.operations.get(key);
    const location = now?.operation.location ?? old.operation.location;
    if (!now) {
      push(
        "operation-removed",
        true,
        peers(
          before,
          old.operation.messages.map((m) => m.name),
        ),
        old.service,
        `operation ${key} was removed`,
        location,
      );
      continue;
    }
    if (old.operation.action !== now.operation.action) {
      push(
        "operation-action-changed",
        true,
        peers(
          after,
          now.operation.messages.map((m) => m.name),
        ),
        now.service,
        `operation ${key}: ${old.operation.action} -> ${now.operation.action}`,
        location,
      );
    }
    const oldReplies = new Set(old.operation.reply?.messages.map((m) => m.name) ?? []);
    const newReplies = new Set(now.operation.reply?.messages.map((m) => m.name) ?? []);
    for (const reply of oldReplies) {
      if (!newReplies.has(reply))
        push(
          "reply-removed",
          true,
          peers(before, [reply]),
          now.service,
          `operation ${key} no longer declares reply ${reply}`,
          location,
        );
    }
    for (const reply of newReplies) {
      if (!oldReplies.has(reply))
        push(
          "reply-added",
          false,
          [],
          now.service,
          `operation ${key} declares a new reply ${reply}`,
          location,
        );
    }
  }
  // A message's owner is what a major bump is checked against; binding changes belong to no single message.
  return mergeShared(findings.map((f) => (f.owner === "" ? { ...f, owner: f.affected[0] ?? "" } : f))).sort(
    byLocation,
  );
}

/**
 * A change to a shared schema (say the failure payload) shows in every message that uses it; report it once, at
 * its place, naming every message and every affected service.
 */
function mergeShared(findings: DiffFinding[]): DiffFinding[] {
  const groups = new Map<
    string,
    { first: DiffFinding; subjects: string[]; affected: Set<string>; rest: string }
  >();
  for (const finding of findings) {
    const [subject = "", ...words] = finding.message.split(" ");
    const rest = words.join(" ");
    const key = `${finding.rule}|${finding.verdict}|${finding.location.file}:${finding.location.line}:${finding.location.column}|${rest}`;
    const group = groups.get(key);
    if (group) {
      group.subjects.push(subject);
      for (const service of finding.affected) group.affected.add(service);
    } else {
      groups.set(key, { first: finding, subjects: [subject], affected: new Set(finding.affected), rest });
    }
  }
  return [...groups.values()].map(({ first, subjects, affected, rest }) =>
    subjects.length === 1
      ? first
      : { ...first, affected: [...affected].sort(), message: `${subjects.join(", ")} ${rest}` },
  );
}

function messageChanges(old: MessageNode, now: MessageNode): SchemaChange[] {
  const payload = diffSchemas(
    { $ref: `#/$defs/${old.message.payload}` },
    { $ref: `#/$defs/${now.message.payload}` },
    old.context,
    now.context,
  );
  const headers =
    old.message.headers && now.message.headers
      ? diffSchemas(
          { $ref: `#/$defs/${old.message.headers}` },
          { $ref: `#/$defs/${now.message.headers}` },
          old.context,
          now.context,
          {
            removed: "header-removed",
            requiredAdded: "header-required-added",
          },
        ).map((c) => ({ ...c, path: `headers${c.path}` }))
      : [];
  return [...payload, ...headers];
}

function peers(graph: ContractGraph, names: readonly string[]): string[] {
  return names.flatMap((name) => {
    const node = graph.messages.get(name);
    return node ? [...node.senders, ...node.receivers] : [];
  });
}

function byLocation(a: DiffFinding, b: DiffFinding): number {
  const key = (f: DiffFinding) =>
    `${f.location.file}\0${String(f.location.line).padStart(6, "0")}\0${String(f.location.column).padStart(4, "0")}\0${f.rule}\0${f.message}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
