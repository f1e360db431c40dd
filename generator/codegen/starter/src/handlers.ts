import { failure, success } from "@asyncgen/runtime";
import type { GreeterServiceHandlers } from "../generated/greeter-service/index.js";

/**
 * The greeter's business logic: one method per operation the contract says it receives. Return success(...) or
 * failure(...) for the contract's replies; throw for a technical error (the command is redelivered, then
 * dead-lettered).
 */
export const handlers: GreeterServiceHandlers = {
  async greet({ name }) {
    if (name.trim() === "") return failure({ reason: "a name of blanks only" });
    return success({ greeting: `Hello, ${name}!` });
  },
};
