import type { MessageSpec, Validator } from "../src/index.js";

/** A tiny hand-written validator: an object whose listed fields are integers (ajv-shaped errors). */
function integers(...fields: string[]): Validator {
  const validate = ((data: unknown) => {
    const issues = [];
    if (typeof data !== "object" || data === null)
      issues.push({ instancePath: "", message: "must be object" });
    else
      for (const f of fields)
        if (!Number.isInteger((data as Record<string, unknown>)[f]))
          issues.push({ instancePath: `/${f}`, message: "must be integer" });
    validate.errors = issues.length > 0 ? issues : null;
    return issues.length === 0;
  }) as Validator;
  return validate;
}

const headers: Validator = Object.assign(
  (data: unknown) => typeof (data as { contract_version?: unknown }).contract_version === "string",
  {
    errors: [{ instancePath: "/contract_version", message: "must be string" }],
  },
);

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
export const Note: MessageSpec<{ n: number }> = { name: "calc.note", validatePayload: integers("n") };
