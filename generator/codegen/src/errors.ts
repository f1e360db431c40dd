/** Every failure the generator reports, with a stable code. The CLI maps them to exit codes. */
export const CODEGEN_ERROR_CODES = {
  CODEGEN_YAML_SYNTAX: "a contract is not well-formed YAML",
  CODEGEN_UNSUPPORTED_VERSION: "a contract declares an AsyncAPI version other than 3.0.0 or 3.1.0",
  CODEGEN_CONTRACT_INVALID: "a contract breaks the AsyncAPI 3.x schema or its rules",
  CODEGEN_UNRESOLVED_REF: "a $ref points to a file or pointer that does not exist",
  CODEGEN_REMOTE_REF: "a $ref points to a URL and --allow-remote-refs was not given",
  CODEGEN_NAME_COLLISION: "two different schemas or messages would get the same generated name",
  CODEGEN_UNSUPPORTED: "the contract uses a construct the generator does not support",
  CODEGEN_NO_CONTRACTS: "no contract files were found",
  CODEGEN_IO: "a file could not be read or written",
  CODEGEN_FILE_EXISTS: "asyncgen init would overwrite a file that exists (nothing was written)",
  CODEGEN_CONFIG_INVALID: "the asyncgen configuration cannot be read or has an unknown or mistyped setting",
} as const;

export type CodegenErrorCode = keyof typeof CODEGEN_ERROR_CODES;

/** A place in a contract file; line and column are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** One problem found in the input; a CodegenError carries one or more. */
export interface Problem {
  readonly code: CodegenErrorCode;
  readonly message: string;
  readonly location: SourceLocation;
}

/** Bad input (exit code 2): the contracts cannot be turned into code. */
export class CodegenError extends Error {
  override name = "CodegenError";
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], options?: ErrorOptions) {
    super(problems.map(formatProblem).join("\n"), options);
    this.problems = problems;
  }

  get code(): CodegenErrorCode {
    // Constructed with at least one problem (see codegenError); the first one names the error.
    return (this.problems[0] as Problem).code;
  }
}

export function codegenError(
  code: CodegenErrorCode,
  message: string,
  location: SourceLocation,
): CodegenError {
  return new CodegenError([{ code, message, location }]);
}

export function formatProblem(problem: Problem): string {
  return `${formatLocation(problem.location)} ${problem.code} ${problem.message}`;
}
