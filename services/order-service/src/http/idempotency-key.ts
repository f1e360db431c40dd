import type { IncomingHttpHeaders } from "node:http";

/** Printable ASCII without spaces, as UUIDs and the usual client-generated keys are; at most 255 characters. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's `Idempotency-Key`, undefined when absent; a malformed one is a 400 with a code. */
export function idempotencyKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers["idempotency-key"];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !KEY.test(value)) {
    throw Object.assign(
      new Error("Idempotency-Key must be one value of 1 to 255 printable ASCII characters without spaces"),
      { statusCode: 400, code: "HTTP_INVALID_IDEMPOTENCY_KEY" },
    );
  }
  return value;
}
