import type { Validator } from "@asyncgen/runtime";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { HTTP_ERROR_CODES, type HttpErrorCode } from "./error-codes.js";

/** The one shape of every error answer (see error-codes.ts). */
export function errorBody(code: HttpErrorCode, message: string): { error: string; code: HttpErrorCode } {
  return { error: message, code };
}

/** Fastify's own client errors, by its code, in our codes. */
const FASTIFY_CODES: Record<string, HttpErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "HTTP_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_BODY_TOO_LARGE: "HTTP_BODY_TOO_LARGE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "HTTP_MALFORMED_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "HTTP_MALFORMED_JSON",
};

/** The error handler that gives every error answer the shape above (install with `setErrorHandler`). */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) return sendInvalid(reply, error.validationContext, error.validation);
  if (error.statusCode && error.statusCode < 500) {
    const code =
      (Object.hasOwn(HTTP_ERROR_CODES, error.code) ? (error.code as HttpErrorCode) : undefined) ??
      FASTIFY_CODES[error.code] ??
      (error instanceof SyntaxError
        ? "HTTP_MALFORMED_JSON"
        : error.statusCode === 404
          ? "HTTP_NOT_FOUND"
          : "HTTP_BAD_REQUEST");
    return reply.status(error.statusCode).send(errorBody(code, error.message));
  }
  request.log.error({ err: error }, "request failed");
  return reply.status(500).send(errorBody("HTTP_INTERNAL", "internal error"));
}

/** 400 with every validation problem: the answer for a bad body, path or query alike. */
function sendInvalid(
  reply: FastifyReply,
  where: string | undefined,
  issues: readonly { instancePath: string; message?: string | undefined }[],
): FastifyReply {
  return reply.status(400).send({
    ...errorBody("HTTP_INVALID_REQUEST", "invalid request"),
    where,
    errors: issues.map((v) => ({ path: v.instancePath || "/", message: v.message ?? "invalid" })),
  });
}

/**
 * A `preValidation` hook that checks the JSON body with a generated validator (a contract's schema) and answers a
 * bad body as fastify's own schema validation does.
 */
export function bodyValidator(validate: Validator) {
  // Returning the reply from an async hook ends the request there: the handler does not run.
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> =>
    validate(request.body) ? undefined : sendInvalid(reply, "body", validate.errors ?? []);
}

/** Unknown routes answer in the same shape (install with `setNotFoundHandler`). */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .status(404)
    .send(errorBody("HTTP_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`));
}
