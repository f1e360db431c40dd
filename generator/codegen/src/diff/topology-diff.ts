import type { Change } from "./findings.js";
import type { ContractGraph, OperationNode } from "./graph.js";
import { placeOf } from "./message-diff.js";

/** Queue and exchange declarations, operations and their declared replies. */
export function topologyChanges(before: ContractGraph, after: ContractGraph): Change[] {
  return [...declarationChanges(before, after), ...operationChanges(before, after)];
}

function declarationChanges(before: ContractGraph, after: ContractGraph): Change[] {
  const changes: Change[] = [];
  for (const [key, old] of before.queues) {
    const now = after.queues.get(key);
    if (!now) continue; // the messages on it report queue-changed or channel-address-changed
    // A queue is declared at start by the services consuming it; what the others' contracts say of it is checked
    // against that by lint (queue-binding-match), and changing it changes nothing on the broker.
    const declarers = now.consumers.size > 0 ? now.consumers : new Set(now.declarations.keys());
    const changed = [...now.declarations].filter(([service, declared]) => {
      const was = old.declarations.get(service);
      return declarers.has(service) && was !== undefined && was.shape !== declared.shape;
    });
    if (changed.length === 0) continue;
    // One finding per queue, at the consumer's declaration when it changed.
    const [service, declared] = changed.find(([s]) => now.consumers.has(s)) ?? changed[0]!;
    const was = old.declarations.get(service)!;
    changes.push({
      rule: "binding-changed",
      subject: key,
      detail: `${shapeChange(was.shape, declared.shape)} (declared by ${changed.map(([s]) => s).join(", ")})`,
      location: placeOf(before, after, declared.anchor, was.anchor, {
        file: declared.anchor.file,
        line: 1,
        column: 1,
      }),
      owner: [...now.consumers].sort()[0] ?? service,
      senders: [...now.publishers],
      receivers: [...now.consumers],
      breaksSenders: true,
      breaksReceivers: true,
      note: `RabbitMQ refuses to redeclare ${key} with other properties or arguments (PRECONDITION_FAILED) until it is deleted and recreated: services declaring it the old and the new way cannot both start`,
    });
  }
  return changes;
}

function operationChanges(before: ContractGraph, after: ContractGraph): Change[] {
  const changes: Change[] = [];
  const replies = new Map<
    string,
    { removed: boolean; ops: { graph: ContractGraph; node: OperationNode }[] }
  >();
  for (const [key, old] of before.operations) {
    const now = after.operations.get(key);
    const names = old.operation.messages.map((m) => m.name);
    const location = placeOf(before, after, now?.anchor, old.anchor, old.operation.location);
    if (!now) {
      const senders = names.flatMap((n) => [...(after.messages.get(n)?.senders ?? [])]);
      const receives = old.operation.action === "receive" && senders.some((s) => s !== old.service);
      changes.push({
        rule: "operation-removed",
        subject: key,
        detail: `(${old.operation.action} ${names.join(", ")}) was removed`,
        location,
        owner: old.service,
        senders: senders.filter((s) => s !== old.service),
        receivers: [],
        breaksSenders: receives,
        breaksReceivers: false,
        note: receives
          ? `${old.service} no longer receives ${names.join(", ")}, which ${othersList(senders, old.service)} still send${new Set(senders).size === 1 ? "s" : ""}`
          : old.operation.action === "receive"
            ? `no other service sends ${names.join(", ")} any more`
            : `${old.service} no longer sends ${names.join(", ")}: its receivers only get less to do`,
      });
      continue;
    }
    if (old.operation.action !== now.operation.action) {
      const peers = (role: "senders" | "receivers") =>
        names.flatMap((n) => [
          ...(before.messages.get(n)?.[role] ?? []),
          ...(after.messages.get(n)?.[role] ?? []),
        ]);
      changes.push({
        rule: "operation-action-changed",
        subject: key,
        detail: `${old.operation.action} -> ${now.operation.action}`,
        location,
        owner: now.service,
        senders: peers("senders").filter((s) => s !== now.service),
        receivers: peers("receivers").filter((s) => s !== now.service),
        breaksSenders: true,
        breaksReceivers: true,
        note: `${now.service} now ${now.operation.action}s ${names.join(", ")} instead of ${old.operation.action === "send" ? "sending" : "receiving"} it: its peers' expectations no longer hold`,
      });
    }
    const was = new Set(old.operation.reply?.messages.map((m) => m.name) ?? []);
    const is = new Set(now.operation.reply?.messages.map((m) => m.name) ?? []);
    const track = (reply: string, removed: boolean) => {
      const id = `${removed}\0${reply}\0${names.join(",")}`;
      const entry = replies.get(id) ?? { removed, ops: [] };
      entry.ops.push({ graph: after, node: now });
      replies.set(id, entry);
    };
    // A reply that no longer exists at all (or did not exist) is reported as message-removed (message-added).
    for (const reply of was) if (!is.has(reply) && after.messages.has(reply)) track(reply, true);
    for (const reply of is) if (!was.has(reply) && before.messages.has(reply)) track(reply, false);
  }
  for (const [id, { removed, ops }] of replies) {
    const [, reply = "", commands = ""] = id.split("\0");
    // Reported once, at the operation of the reply's owner (the command's receiver) when it is among them.
    const message = (removed ? before : after).messages.get(reply);
    const main = ops.find((o) => o.node.service === message?.owner) ?? ops[0]!;
    const repliers = ops.filter((o) => o.node.operation.action === "receive").map((o) => o.node.service);
    const requesters = ops.filter((o) => o.node.operation.action === "send").map((o) => o.node.service);
    const location = placeOf(
      before,
      after,
      { file: main.node.anchor.file, path: [...main.node.anchor.path, "reply", "messages"] },
      undefined,
      main.node.operation.location,
    );
    const subject = ops.map((o) => `${o.node.service}#${o.node.operation.id}`).join(", ");
    if (!removed) {
      changes.push({
        rule: "reply-added",
        subject,
        detail: `declares a new reply ${reply} to ${commands}`,
        location,
        owner: main.node.service,
        senders: [],
        receivers: [],
        breaksSenders: false,
        breaksReceivers: false,
        note: "a new reply breaks no one: old requesters are not sent it until the replier upgrades",
      });
      continue;
    }
    // The replier stops declaring it: requesters wait for it in vain. The requester stops: repliers' replies are refused.
    changes.push({
      rule: "reply-removed",
      subject,
      detail: `no longer declares reply ${reply} to ${commands}`,
      location,
      owner: main.node.service,
      senders: requesters.length > 0 ? [...(message?.senders ?? [])] : [],
      receivers: repliers.length > 0 ? [...(message?.receivers ?? [])] : [],
      breaksSenders: requesters.length > 0,
      breaksReceivers: repliers.length > 0,
      note:
        repliers.length > 0
          ? `${repliers.join(", ")} no longer declares ${reply}: requesters that wait for it would wait in vain`
          : `${requesters.join(", ")} no longer expects ${reply}, which repliers still send`,
    });
  }
  return changes;
}

/** `x-delivery-limit 3 -> 4, durable true -> false`: only what differs between two declarations. */
function shapeChange(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${JSON.stringify(a[k]) ?? "(none)"} -> ${JSON.stringify(b[k]) ?? "(none)"}`)
    .join(", ");
}

function othersList(services: readonly string[], self: string): string {
  return [...new Set(services)]
    .filter((s) => s !== self)
    .sort()
    .join(", ");
}
