import type { SourceLocation } from "../errors.js";
import type { Change } from "./findings.js";
import type { ContractGraph, MessageNode, Route } from "./graph.js";
import { locateIn, mapAnchor, type Anchor } from "./locate.js";
import { safeReason, schemaBreaks } from "./rules.js";
import { diffSchemas, type FieldRules, type SchemaChange } from "./schema-diff.js";

const HEADER_RULES: FieldRules = { removed: "header-removed", requiredAdded: "header-required-added" };

/** A place in the new contracts when it still exists there (else its parent), else in the old ones. */
export function placeOf(
  before: ContractGraph,
  after: ContractGraph,
  now: Anchor | undefined,
  old: Anchor | undefined,
  fallback: SourceLocation,
): SourceLocation {
  return (
    (now && locateIn(after, now)) ??
    (old && locateIn(after, mapAnchor(old, before, after))) ??
    (old && locateIn(before, old)) ??
    fallback
  );
}

/** Messages removed, added, and changed (payload, headers, the channels they travel on). */
export function messageChanges(before: ContractGraph, after: ContractGraph): Change[] {
  const changes: Change[] = [];
  for (const [name, old] of before.messages) {
    const now = after.messages.get(name);
    if (!now) {
      changes.push({
        rule: "message-removed",
        subject: name,
        detail: "was removed or renamed",
        location: placeOf(before, after, undefined, old.anchor, old.location),
        owner: old.owner,
        senders: [...old.senders],
        receivers: [...old.receivers],
        // Only a message that flowed (someone sent it, someone received it) can break anyone.
        breaksSenders: old.senders.size > 0 && old.receivers.size > 0,
        breaksReceivers: old.senders.size > 0 && old.receivers.size > 0,
        note:
          old.senders.size > 0 && old.receivers.size > 0
            ? `upgraded receivers would reject ${name} from old senders as an unknown type, and old receivers would never get what replaces it`
            : `no service both sent and received it, so its removal breaks no flow`,
      });
      continue;
    }
    changes.push(...schemaChanges(before, after, old, now), ...routeChanges(before, after, old, now));
  }
  for (const [name, now] of after.messages) {
    if (before.messages.has(name)) continue;
    changes.push({
      rule: "message-added",
      subject: name,
      detail: "was added",
      location: placeOf(before, after, now.anchor, undefined, now.location),
      owner: now.owner,
      senders: [...now.senders],
      receivers: [...now.receivers],
      breaksSenders: false,
      breaksReceivers: false,
      note: "a new message breaks no one: old services neither send nor receive it",
    });
  }
  return changes;
}

function schemaChanges(
  before: ContractGraph,
  after: ContractGraph,
  old: MessageNode,
  now: MessageNode,
): Change[] {
  const side = (node: MessageNode, part: string | undefined) => ({
    root: part === undefined ? {} : { $ref: `#/$defs/${part}` },
    context: node.context,
  });
  const found: [SchemaChange, string][] = [
    ...diffSchemas(side(old, old.message.payload), side(now, now.message.payload)).map(
      (c): [SchemaChange, string] => [c, c.path],
    ),
    ...(old.message.headers === undefined && now.message.headers === undefined
      ? []
      : diffSchemas(side(old, old.message.headers), side(now, now.message.headers), HEADER_RULES).map(
          (c): [SchemaChange, string] => [c, `headers${c.path === "/" ? "" : c.path}`],
        )),
  ];
  return found.map(([change, path]): Change => {
    const breaks = schemaBreaks(change.rule, change.effect);
    const anchorIn = (graph: ContractGraph, node: MessageNode): Anchor | undefined => {
      if (change.schema === undefined) return undefined;
      const at =
        graph.contracts.get(node.owner)?.schemas.get(change.schema) ??
        [...graph.contracts.values()].map((c) => c.schemas.get(change.schema!)).find(Boolean);
      return at && { file: at.file, path: [...at.path, ...change.schemaPath] };
    };
    return {
      rule: change.rule,
      subject: now.name,
      detail: `${path}: ${change.detail}`,
      location: placeOf(before, after, anchorIn(after, now), anchorIn(before, old), now.location),
      owner: now.owner,
      senders: [...now.senders],
      receivers: [...now.receivers],
      breaksSenders: breaks.senders,
      breaksReceivers: breaks.receivers,
      note:
        change.rule === "default-changed"
          ? `receivers of ${now.name} with the new schema (${list(now.receivers)}) would read the field, when ${list(now.senders)} leave${now.senders.size === 1 ? "s" : ""} it out, by another default than the one meant`
          : breaks.senders || breaks.receivers
            ? undefined
            : safeReason(change.rule),
    };
  });
}

/** Where a message is published: a queue (by name), or an exchange and routing key. */
function routeKeys(node: MessageNode) {
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  const addresses = new Set<string>();
  for (const { channel } of node.routes) {
    if (channel.exchange) exchanges.add(`exchange ${channel.exchange.name}, routing key ${channel.address}`);
    else if (channel.queue) {
      queues.add(channel.queue.name);
      addresses.add(channel.address);
    }
  }
  return { queues, exchanges, addresses };
}

function routeChanges(
  before: ContractGraph,
  after: ContractGraph,
  old: MessageNode,
  now: MessageNode,
): Change[] {
  const was = routeKeys(old);
  const is = routeKeys(now);
  const ownRoute = (node: MessageNode): Route | undefined =>
    node.routes.find((r) => r.service === node.owner) ?? node.routes[0];
  const at = (sub: (string | number)[]) => {
    const route = ownRoute(now);
    const oldRoute = ownRoute(old);
    return placeOf(
      before,
      after,
      route && { file: route.anchor.file, path: [...route.anchor.path, ...sub] },
      oldRoute && { file: oldRoute.anchor.file, path: [...oldRoute.anchor.path, ...sub] },
      now.location,
    );
  };
  const base = {
    subject: now.name,
    owner: now.owner,
    senders: [...now.senders, ...old.senders],
    receivers: [...now.receivers, ...old.receivers],
  };
  const changes: Change[] = [];
  const lost = [...was.queues].filter((q) => !is.queues.has(q));
  if (!sameSet(was.queues, is.queues)) {
    changes.push({
      ...base,
      rule: "queue-changed",
      detail: `travels on queue ${[...is.queues].sort().join(", ") || "(none)"} instead of ${[...was.queues].sort().join(", ") || "(none)"}`,
      location: at(["bindings", "amqp", "queue", "name"]),
      breaksSenders: lost.length > 0,
      breaksReceivers: lost.length > 0,
      note:
        lost.length > 0
          ? `old senders publish to ${lost.join(", ")}, which upgraded receivers no longer consume; upgraded senders publish where old receivers do not listen`
          : "it only travels on one more queue: the old one is still consumed",
    });
  }
  if (!sameSet(was.exchanges, is.exchanges)) {
    changes.push({
      ...base,
      rule: "channel-address-changed",
      detail: `is published to ${[...is.exchanges].sort().join("; ") || "no exchange"} instead of ${[...was.exchanges].sort().join("; ") || "no exchange"}`,
      location: at(["address"]),
      breaksSenders: true,
      breaksReceivers: true,
      note: "old senders publish with the old exchange and routing key, which no longer reaches upgraded receivers; upgraded senders miss old receivers",
    });
  } else if (sameSet(was.queues, is.queues) && !sameSet(was.addresses, is.addresses)) {
    changes.push({
      ...base,
      rule: "channel-address-changed",
      detail: `channel address ${[...was.addresses].sort().join(", ")} -> ${[...is.addresses].sort().join(", ")}`,
      location: at(["address"]),
      breaksSenders: false,
      breaksReceivers: false,
      note: "the channel's binding names the queue, and messages are routed by the queue name, which did not change",
    });
  }
  return changes;
}

function list(services: ReadonlySet<string>): string {
  return services.size === 0 ? "no service of the contract set" : [...services].sort().join(", ");
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
