import type { Logger, MessageSpec, Validator } from "../src/index.js";

/** A tiny hand-written validator: an object whose listed fields are integers, with ajv-shaped errors. */
function integers(...fields: string[]): Validator {
  const validate: Validator = (data: unknown) => {
    const issues = [];
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      issues.push({ instancePath: "", message: "must be object", keyword: "type" });
    } else {
      for (const f of fields) {
        const value = (data as Record<string, unknown>)[f];
        if (value === undefined) {
          issues.push({
            instancePath: "",
            message: `must have required property '${f}'`,
            keyword: "required",
          });
        } else if (!Number.isInteger(value)) {
          issues.push({ instancePath: `/${f}`, message: "must be integer", keyword: "type" });
        }
      }
    }
    validate.errors = issues.length > 0 ? issues : null;
    return issues.length === 0;
  };
  return validate;
}

/** Headers must carry a string contract_version. */
const headers: Validator = (data: unknown) => {
  const ok = typeof (data as { contract_version?: unknown }).contract_version === "string";
  headers.errors = ok ? null : [{ instancePath: "/contract_version", message: "must be string" }];
  return ok;
};

export const Add: MessageSpec<{ a: number; b: number }> = {
  name: "calc.add",
  validatePayload: integers("a", "b"),
  validateHeaders: headers,
};
export const Sum: MessageSpec<{ sum: number }> = {
  name: "calc.add.response.success",
  validatePayload: integers("sum"),
};
export const Refused: MessageSpec<{ reason: number }> = {
  name: "calc.add.response.failure",
  validatePayload: integers("reason"),
};
/** A command whose contract declares a success reply only. */
export const Square: MessageSpec<{ n: number }> = { name: "calc.square", validatePayload: integers("n") };
export const Squared: MessageSpec<{ n: number }> = {
  name: "calc.square.response.success",
  validatePayload: integers("n"),
};
/** A message nobody answers (an event, or a reply an orchestrator consumes). */
export const Note: MessageSpec<{ n: number }> = { name: "calc.note", validatePayload: integers("n") };

/** A logger that keeps every entry, to assert on what the runtime reported. */
export function memoryLogger(): Logger & {
  entries: { level: string; obj: object; msg: string | undefined }[];
} {
  const entries: { level: string; obj: object; msg: string | undefined }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void =>
      void entries.push({ level, obj, msg });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
