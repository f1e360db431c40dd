/**
 * The codes of the order service's HTTP error answers. Every error answer, the app's own and fastify's (unknown
 * route, unsupported content type, malformed JSON, body too large), has one shape: `{ "error", "code" }`, plus
 * `where` and `errors` for a validation failure. The README table is tested against this registry and the server's
 * answers.
 */
export const HTTP_ERROR_CODES = {
  HTTP_INVALID_REQUEST:
    "400: the body, path or query does not match the schema; `errors` lists each problem (nothing is stored)",
  HTTP_MALFORMED_JSON: "400: the body is not valid JSON (or is empty while `content-type` says JSON)",
  HTTP_BAD_REQUEST: "400: any other request the API cannot read",
  HTTP_INVALID_IDEMPOTENCY_KEY:
    "400: the Idempotency-Key header is not 1 to 255 printable ASCII characters without spaces",
  HTTP_UNKNOWN_QUEUE: "400: a dead-letter request names a queue that is not one of the system's",
  HTTP_NOT_FOUND: "404: no such route, order, saga, contract or demo scenario",
  HTTP_DEAD_LETTER_NOT_FOUND: "404: no dead letter with that message id in the queue",
  HTTP_BODY_TOO_LARGE: "413: the body is over 64 KiB",
  HTTP_UNSUPPORTED_MEDIA_TYPE: "415: a body without `content-type: application/json`",
  HTTP_IDEMPOTENCY_KEY_REUSED:
    "422: the Idempotency-Key was used before with a different request body; the first request's order stands",
  HTTP_INTERNAL: "500: the server failed on its side; its log has the details",
  HTTP_UNAVAILABLE: "503: the order service, started alone, is waiting for its broker",
} as const satisfies Record<string, string>;

export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;
