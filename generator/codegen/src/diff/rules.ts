/**
 * The rules of `asyncgen diff`, with stable ids (documented in the generator's README, with the reasoning).
 *
 * A message's schema is shared by its senders and its receivers, and each side may upgrade on its own. So a change
 * must keep both orders working:
 * - a receiver upgraded first must accept what old senders still send (BACKWARD): a change that *narrows* the valid
 *   messages breaks the senders;
 * - an old receiver must accept what an upgraded sender sends (FORWARD): a change in what senders write, that the
 *   old schema rejects, breaks the receivers. A new field is written by upgraded senders: it breaks receivers whose
 *   schema is closed (`additionalProperties: false`) and is safe where it is open. A required field that is removed
 *   is no longer written: it breaks receivers that still require it.
 * A change that only *relaxes* what is received (a looser bound, one more enum value, a field made optional, a wider
 * type) is safe: everything valid before stays valid, and no sender has to write anything new.
 */
export const DIFF_RULES = {
  "field-required-added": "a required field was added, or an optional one became required (narrows)",
  "field-removed": "a field was removed (narrows where the schema is closed; widens where it was required)",
  "field-added": "an optional field was added (widens where the old schema was closed, else safe)",
  "field-made-optional": "a required field became optional (widens)",
  "type-changed": "a field's type changed (narrows, widens or both)",
  "enum-value-removed": "an enum value was removed (narrows)",
  "enum-value-added": "an enum value was added (widens)",
  "additional-properties-closed": "additionalProperties became false (narrows)",
  "additional-properties-opened": "additionalProperties is no longer false (widens)",
  "constraint-tightened":
    "a min/max, length, items, pattern, format or enum constraint was added or tightened (narrows)",
  "constraint-loosened": "such a constraint was removed or loosened (widens)",
  "constraint-changed": "a pattern, format, const or multipleOf changed (narrows and widens)",
  "schema-changed": "another validation keyword changed, e.g. anyOf, oneOf, allOf, not (narrows and widens)",
  "header-removed": "a header was removed (as field-removed, for headers)",
  "header-required-added": "a header became required (as field-required-added, for headers)",
  "message-removed": "a message no longer exists (renamed or deleted): breaks its senders and receivers",
  "message-added": "a new message (safe)",
  "queue-changed": "a message travels on another queue: old senders publish where nobody listens",
  "channel-address-changed":
    "a message is published to another exchange or routing key (breaking); a queue channel's address alone is safe",
  "binding-changed": "a queue's or exchange's declaration changed: redeclaring it fails on the broker",
  "operation-removed": "an operation was removed: breaking when it received messages that others still send",
  "operation-action-changed": "an operation flipped between send and receive",
  "reply-removed": "a declared reply was removed from an operation",
  "reply-added": "a reply was added to an operation (safe)",
} as const;

export type DiffRule = keyof typeof DIFF_RULES;

/** `allowed`: breaking, but the owning contract bumped its major version, so it passes. */
export type Verdict = "breaking" | "allowed" | "safe";

/**
 * What a schema change does to the set of valid messages: `narrows` (the new schema rejects some data the old one
 * accepted), `widens` (it accepts data the old one rejected), `both`, or `none`.
 */
export type Effect = "narrows" | "widens" | "both" | "none";

/** Widening rules that only relax what is received: no sender has to write anything new. */
const RELAXATIONS: ReadonlySet<DiffRule> = new Set<DiffRule>([
  "field-made-optional",
  "type-changed",
  "enum-value-added",
  "additional-properties-opened",
  "constraint-loosened",
]);

/** Whom a schema change breaks: the senders (BACKWARD fails) and/or the receivers (FORWARD fails). */
export function schemaBreaks(rule: DiffRule, effect: Effect): { senders: boolean; receivers: boolean } {
  const narrows = effect === "narrows" || effect === "both";
  const widens = effect === "widens" || effect === "both";
  return { senders: narrows, receivers: widens && !(effect === "widens" && RELAXATIONS.has(rule)) };
}

/** Why a schema change that breaks nobody is safe. */
export function safeReason(rule: DiffRule, effect: Effect): string {
  if (effect === "widens" && RELAXATIONS.has(rule))
    return "it only relaxes what is received: every message valid before stays valid, and no sender has to write anything new";
  if (rule === "field-added" || rule === "header-removed" || rule === "field-removed")
    return "the schema is open and the field optional: old and new receivers accept what old and new senders write";
  return "old and new receivers accept what old and new senders write";
}
