/** One file of output: a path relative to the output folder (with `/`) and its exact bytes as text. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}
