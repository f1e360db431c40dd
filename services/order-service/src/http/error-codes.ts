/**
 * The codes of the order service's HTTP error answers (`{ error, code }`); the README table is tested against this
 * registry and the server's answers.
 */
export const HTTP_ERROR_CODES = {
  HTTP_INVALID_REQUEST:
    "the body does not match the request's schema; `errors` lists each problem (nothing is stored)",
  HTTP_BAD_REQUEST:
    "the request cannot be read (e.g. not JSON); fastify's own FST_* code is passed on when it has one",
  HTTP_NOT_FOUND: "no such order, saga, contract or demo scenario",
  HTTP_INVALID_IDEMPOTENCY_KEY:
    "the Idempotency-Key header is not 1 to 255 printable ASCII characters without spaces",
  HTTP_IDEMPOTENCY_KEY_REUSED:
    "the Idempotency-Key was used before with a different request body; the first request's order stands",
  HTTP_UNKNOWN_QUEUE: "a dead-letter request names a queue that is not one of the system's",
  HTTP_DEAD_LETTER_NOT_FOUND: "no dead letter with that message id in the queue",
  HTTP_INTERNAL: "the server failed on its side; its log has the details",
} as const satisfies Record<string, string>;

export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;
