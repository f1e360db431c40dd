import { codegenError } from "../errors.js";
import type { YamlSource } from "../load/yaml-source.js";
import type { Anchor } from "./locate.js";

/**
 * The compatibility policies of `asyncgen diff`, as Confluent Schema Registry names them. A message's senders and
 * receivers deploy one after the other; a policy says which deployment orders a change must keep working:
 * - `FULL` (the default): both orders, so either side may go first;
 * - `BACKWARD`: receivers upgrade first, so the new schema must accept what old senders still send;
 * - `FORWARD`: senders upgrade first, so old receivers must accept what upgraded senders may send;
 * - `NONE`: no order is checked (every change is reported, none fails the check).
 */
export const COMPATIBILITIES = ["FULL", "BACKWARD", "FORWARD", "NONE"] as const;
export type Compatibility = (typeof COMPATIBILITIES)[number];

/** Which side of a message deploys the new contract first. */
export type DeploymentOrder = "receivers-first" | "senders-first";

/** The extension naming a policy: on a contract's `info`, or on one message (`components.messages.<key>`). */
export const POLICY_EXTENSION = "x-compatibility";

const REQUIRED: Record<Compatibility, readonly DeploymentOrder[]> = {
  FULL: ["receivers-first", "senders-first"],
  BACKWARD: ["receivers-first"],
  FORWARD: ["senders-first"],
  NONE: [],
};

/** The deployment orders a policy promises will work. */
export function requiredOrders(policy: Compatibility): readonly DeploymentOrder[] {
  return REQUIRED[policy];
}

export function isCompatibility(value: unknown): value is Compatibility {
  return typeof value === "string" && (COMPATIBILITIES as readonly string[]).includes(value);
}

/**
 * The policy declared at `anchor` (the object that may carry `x-compatibility`), when there is one. Any other value
 * is bad input: a typo must not silently fall back to another policy.
 */
export function declaredPolicy(
  files: ReadonlyMap<string, YamlSource>,
  anchor: Anchor | undefined,
): Compatibility | undefined {
  if (!anchor) return undefined;
  const source = files.get(anchor.file);
  let node: unknown = source?.data;
  for (const key of anchor.path) node = (node as Record<string | number, unknown> | null)?.[key];
  const value = (node as Record<string, unknown> | null | undefined)?.[POLICY_EXTENSION];
  if (value === undefined) return undefined;
  if (isCompatibility(value)) return value;
  throw codegenError(
    "CODEGEN_CONTRACT_INVALID",
    `${POLICY_EXTENSION} must be one of ${COMPATIBILITIES.join(", ")}, not ${JSON.stringify(value)}`,
    source!.locate([...anchor.path, POLICY_EXTENSION]),
  );
}
