/**
 * The breaking-change rules, with stable ids. Schema rules say what a change does to the set of valid messages;
 * whether that breaks anyone depends on who owns the message: a command's receiver owns it and deploys first, so
 * its new schema must accept what old senders send (a narrowing breaks the senders); a reply's sender owns it, so
 * old receivers must accept what the new sender sends (a widening breaks the receivers).
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
  "header-removed": "a header was removed (as field-removed, for headers)",
  "header-required-added": "a header became required (as field-required-added, for headers)",
  "message-removed": "a message no longer exists (renamed or deleted): breaks its senders and receivers",
  "message-added": "a new message (safe)",
  "queue-changed": "a message travels on another queue: old senders publish where nobody listens",
  "binding-changed": "a queue's durability or arguments changed: redeclaring it fails on the broker",
  "operation-removed": "an operation was removed: its messages are no longer sent or handled",
  "operation-action-changed": "an operation flipped between send and receive",
  "reply-removed": "a declared reply was removed from an operation",
  "reply-added": "a reply was added to an operation (safe)",
} as const;

export type DiffRule = keyof typeof DIFF_RULES;

export type Verdict = "breaking" | "allowed" | "safe";
