/**
 * How a handler answers a command. `failure(...)` is a business refusal: the failure reply is sent and the command
 * acknowledged. A handler that throws has a technical problem: the command is redelivered, then dead-lettered.
 */
export type Outcome<S, F> =
  { readonly ok: true; readonly reply: S } | { readonly ok: false; readonly reply: F };

export function success<S>(reply: S): { readonly ok: true; readonly reply: S } {
  return { ok: true, reply };
}

export function failure<F>(reply: F): { readonly ok: false; readonly reply: F } {
  return { ok: false, reply };
}
