/**
 * The rules of `asyncgen diff`, with stable ids (documented in the generator's README, with the reasoning).
 *
 * A message's schema is shared by its senders and its receivers, and each side deploys on its own:
 * - when receivers deploy first, the new schema must accept what old senders still send: a change that *narrows*
 *   the valid messages breaks that order (BACKWARD fails, the senders are the ones refused);
 * - when senders deploy first, old receivers must accept what upgraded senders may send: a change that *widens* the
 *   valid messages breaks that order (FORWARD fails, the old receivers refuse), whether it is a new field on a
 *   closed schema, one more enum value, a looser bound or a wider type: the new generated code lets senders use it.
 * Which orders must keep working is the compatibility policy (policy.ts).
 */
export const DIFF_RULES = {
  "field-required-added": "a required field was added, or an optional one became required (narrows)",
  "field-removed": "a field was removed (narrows where the schema is closed; widens where it was required)",
  "field-added": "an optional field was added (widens where the old schema was closed, else safe)",
  "field-made-optional": "a required field became optional (widens)",
  "default-changed":
    "a field's default was added, removed or changed (receivers read an absent field differently)",
  "type-changed": "a field's type changed (narrows, widens or both)",
  "enum-value-removed": "an enum value was removed (narrows)",
  "enum-value-added": "an enum value was added (widens)",
  "additional-properties-closed": "additionalProperties became false (narrows)",
  "additional-properties-opened": "additionalProperties is no longer false (widens)",
  "constraint-tightened":
    "a min/max, length, items, pattern, format or enum constraint was added or tightened (narrows)",
  "constraint-loosened": "such a constraint was removed or loosened (widens)",
  "constraint-changed": "a pattern, format, const or multipleOf changed (narrows and widens)",
  "branch-added":
    "an anyOf or oneOf branch was added (widens; for a oneOf whose branches may overlap, also narrows)",
  "branch-removed":
    "an anyOf or oneOf branch was removed (narrows; for a oneOf whose branches may overlap, also widens)",
  "schema-changed":
    "a schema changed where equivalence cannot be proven (allOf, anyOf and oneOf branches changed, not, if/then/else, …): narrows and widens",
  "header-removed": "a header was removed (as field-removed, for headers)",
  "header-required-added": "a header became required (as field-required-added, for headers)",
  "message-removed": "a message no longer exists (renamed or deleted): breaks its senders and receivers",
  "message-added": "a new message (safe)",
  "queue-changed": "a message travels on another queue: old senders publish where nobody listens",
  "channel-address-changed":
    "a message is published to another exchange or routing key (breaking); a queue channel's address alone is safe",
  "binding-changed":
    "a queue's or exchange's declaration by a service consuming it changed: redeclaring it fails on the broker",
  "operation-removed": "an operation was removed: breaking when it received messages that others still send",
  "operation-action-changed": "an operation flipped between send and receive",
  "reply-removed": "a declared reply was removed from an operation",
  "reply-added": "a reply was added to an operation (safe)",
} as const;

export type DiffRule = keyof typeof DIFF_RULES;

/**
 * `breaking`: it breaks a deployment order the policy promises; `allowed`: it breaks someone in some order, but
 * passes (the policy does not promise that order, or the owning contract bumped its major version); `safe`: it
 * breaks no one in any order.
 */
export type Verdict = "breaking" | "allowed" | "safe";

/**
 * What a schema change does to the set of valid messages: `narrows` (the new schema rejects some data the old one
 * accepted), `widens` (it accepts data the old one rejected), `both`, or `none`.
 */
export type Effect = "narrows" | "widens" | "both" | "none";

/**
 * Whom a schema change breaks: the senders when receivers deploy first (it narrows, or it changes how receivers read
 * what senders send today), the receivers when senders deploy first (it widens).
 */
export function schemaBreaks(rule: DiffRule, effect: Effect): { senders: boolean; receivers: boolean } {
  // Receivers fill an absent field with their schema's default; what senders write does not change with it.
  if (rule === "default-changed") return { senders: true, receivers: false };
  return {
    senders: effect === "narrows" || effect === "both",
    receivers: effect === "widens" || effect === "both",
  };
}

/** Why a schema change that breaks nobody is safe. */
export function safeReason(rule: DiffRule): string {
  if (rule === "field-added" || rule === "header-removed" || rule === "field-removed")
    return "the schema is open and the field optional: old and new receivers accept what old and new senders write";
  return "old and new receivers accept what old and new senders write";
}
