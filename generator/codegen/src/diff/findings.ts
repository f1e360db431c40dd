import type { SourceLocation } from "../errors.js";
import { requiredOrders, type Compatibility, type DeploymentOrder } from "./policy.js";
import type { DiffRule, Verdict } from "./rules.js";

export type Role = "sender" | "receiver";

export interface Affected {
  readonly service: string;
  readonly role: Role;
}

/** One change to one subject (a message, queue or operation), before changes seen in several are merged. */
export interface Change {
  readonly rule: DiffRule;
  readonly subject: string;
  /** What changed, without the subject, e.g. `/table: required field table added`. */
  readonly detail: string;
  readonly location: SourceLocation;
  /** The contract that owns what changed: its major version bump allows a breaking change. */
  readonly owner: string;
  readonly senders: readonly string[];
  readonly receivers: readonly string[];
  /** A receiver upgraded first rejects what the senders still send (BACKWARD fails). */
  readonly breaksSenders: boolean;
  /** The receivers, not yet upgraded, reject what upgraded senders send (FORWARD fails). */
  readonly breaksReceivers: boolean;
  /** The reason, when the generic sentence would not say it (topology changes, safe changes). */
  readonly note?: string | undefined;
}

/** The services that must deploy the new contract first for a change to break nobody. */
export interface DeployFirst {
  readonly role: Role;
  readonly services: readonly string[];
}

export interface DiffFinding {
  readonly rule: DiffRule;
  readonly verdict: Verdict;
  /** The policy the change was judged under (the message's, else its owning contract's, else the default). */
  readonly compatibility: Compatibility;
  /** The deployment orders in which the change breaks someone (none: safe in any order). */
  readonly breaks: readonly DeploymentOrder[];
  /** Who must go first when exactly one order breaks; undefined when any order works or none does. */
  readonly deployFirst: DeployFirst | undefined;
  /** The messages, queues or operations the change shows in (one change, however many reference it). */
  readonly subjects: readonly string[];
  readonly message: string;
  /** Why this verdict, naming who breaks. */
  readonly reason: string;
  readonly affected: readonly Affected[];
  /** The contracts owning what changed; a breaking change is allowed when all of them bumped their major. */
  readonly owners: readonly string[];
  readonly location: SourceLocation;
}

/**
 * Merges the changes that are one change seen from several subjects (a shared schema, a channel carrying several
 * messages), then judges each under its compatibility policy: `breaking` when it breaks a deployment order the policy
 * promises (unless its owners bumped their major version: then `allowed`), `allowed` when it only breaks an order the
 * policy does not promise, `safe` when it breaks no order.
 */
export function judge(
  changes: readonly Change[],
  bumpedMajor: (service: string) => boolean,
  policyOf: (change: Change) => Compatibility,
): DiffFinding[] {
  const groups = new Map<string, Change[]>();
  for (const change of changes) {
    const { file, line, column } = change.location;
    const key = `${change.rule}\0${file}:${line}:${column}\0${change.detail}`;
    groups.set(key, [...(groups.get(key) ?? []), change]);
  }
  return [...groups.values()].map(toFinding(bumpedMajor, policyOf)).sort(byLocation);
}

/** The deployment orders a change breaks: receivers first (BACKWARD fails), senders first (FORWARD fails). */
function ordersBroken(change: Change): DeploymentOrder[] {
  return [
    ...(change.breaksSenders ? (["receivers-first"] as const) : []),
    ...(change.breaksReceivers ? (["senders-first"] as const) : []),
  ];
}

const PROMISE: Record<Exclude<Compatibility, "NONE">, string> = {
  FULL: "either side may deploy first",
  BACKWARD: "receivers deploy first",
  FORWARD: "senders deploy first",
};

const toFinding =
  (bumpedMajor: (service: string) => boolean, policyOf: (change: Change) => Compatibility) =>
  (group: readonly Change[]): DiffFinding => {
    const first = group[0]!;
    const subjects = unique(group.map((c) => c.subject));
    const breaking = group.filter((c) => c.breaksSenders || c.breaksReceivers);
    const violating = breaking.filter((c) => {
      const promised = requiredOrders(policyOf(c));
      return ordersBroken(c).some((order) => promised.includes(order));
    });
    const compatibility = policyOf(violating[0] ?? breaking[0] ?? first);
    const breaks = (["receivers-first", "senders-first"] as const).filter((order) =>
      breaking.some((c) => ordersBroken(c).includes(order)),
    );
    const senders = unique(breaking.filter((c) => c.breaksSenders).flatMap((c) => c.senders));
    const receivers = unique(breaking.filter((c) => c.breaksReceivers).flatMap((c) => c.receivers));
    const owners = unique((breaking.length > 0 ? breaking : group).map((c) => c.owner).filter(Boolean));
    const bumped = owners.length > 0 && owners.every(bumpedMajor);
    const verdict: Verdict =
      breaking.length === 0 ? "safe" : violating.length > 0 && !bumped ? "breaking" : "allowed";
    const deployFirst: DeployFirst | undefined =
      breaks.length !== 1
        ? undefined
        : breaks[0] === "receivers-first"
          ? { role: "sender", services: unique(breaking.flatMap((c) => c.senders)) }
          : { role: "receiver", services: unique(breaking.flatMap((c) => c.receivers)) };
    const affected: Affected[] = [
      ...senders.map((service): Affected => ({ service, role: "sender" })),
      ...receivers.map((service): Affected => ({ service, role: "receiver" })),
    ].sort((a, b) => compare(`${a.service} ${a.role}`, `${b.service} ${b.role}`));
    const about = subjects.length === 1 ? subjects[0]! : "these messages";
    const why =
      breaking.length === 0
        ? (first.note ?? "no message becomes invalid for any sender or receiver")
        : (breaking[0]!.note ?? genericReason(about, breaking, senders, receivers));
    const reason =
      breaking.length === 0
        ? why
        : `${why}${orderClause(deployFirst)}${policyClause(compatibility, violating.length > 0, bumped ? owners : undefined, deployFirst)}`;
    return {
      rule: first.rule,
      verdict,
      compatibility,
      breaks,
      deployFirst,
      subjects,
      message: `${describeSubjects(subjects)} ${first.detail}`,
      reason,
      affected,
      owners,
      location: first.location,
    };
  };

/** Who must go first, when one order works. */
function orderClause(deployFirst: DeployFirst | undefined): string {
  return deployFirst === undefined
    ? "; no deployment order is safe"
    : `; ${deployFirst.role}s (${list(deployFirst.services)}) must deploy first`;
}

/** Why the verdict: the policy promises the order that works, or not; or the owners' major bump allows it. */
function policyClause(
  compatibility: Compatibility,
  violates: boolean,
  bumpedOwners: readonly string[] | undefined,
  deployFirst: DeployFirst | undefined,
): string {
  if (!violates)
    return compatibility === "NONE"
      ? " (allowed: the compatibility is NONE)"
      : `, as ${compatibility} promises (${PROMISE[compatibility]})`;
  if (bumpedOwners) return ` (allowed: ${list(bumpedOwners)} bumped the major version)`;
  if (deployFirst === undefined || compatibility === "NONE") return "";
  return `, which ${compatibility} does not promise (${PROMISE[compatibility]})`;
}

/** Receivers first: upgraded receivers reject what senders send today; senders first: old receivers reject what upgraded senders may send. */
function genericReason(
  about: string,
  breaking: readonly Change[],
  senders: readonly string[],
  receivers: readonly string[],
): string {
  const sentences: string[] = [];
  const backward = breaking.filter((c) => c.breaksSenders);
  if (backward.length > 0) {
    const upgraded = unique(backward.flatMap((c) => c.receivers));
    sentences.push(
      `receivers of ${about} with the new schema (${list(upgraded)}) would reject what ${list(senders)} ${sends(senders)} today`,
    );
  }
  const forward = breaking.filter((c) => c.breaksReceivers);
  if (forward.length > 0) {
    const upgraded = unique(forward.flatMap((c) => c.senders));
    sentences.push(
      `old receivers of ${about} (${list(receivers)}) would reject what ${list(upgraded)} may send after the change`,
    );
  }
  return sentences.join("; and ");
}

function sends(services: readonly string[]): string {
  return services.length === 1 ? "sends" : "send";
}

function describeSubjects(subjects: readonly string[]): string {
  if (subjects.length <= 3) return subjects.join(", ");
  return `${subjects.slice(0, 2).join(", ")} and ${subjects.length - 2} more`;
}

function list(services: readonly string[]): string {
  return services.length === 0 ? "no service of the contract set" : services.join(", ");
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byLocation(a: DiffFinding, b: DiffFinding): number {
  const key = (f: DiffFinding) =>
    `${f.location.file}\0${String(f.location.line).padStart(6, "0")}\0${String(f.location.column).padStart(4, "0")}\0${f.rule}\0${f.message}`;
  return compare(key(a), key(b));
}
