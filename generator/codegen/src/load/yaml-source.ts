import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { codegenError, type SourceLocation } from "../errors.js";

/** A contract file's text parsed as YAML, kept so any JSON path in it can be located as file:line:col. */
export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly data: unknown;
  readonly #document: Document;
  readonly #lines: LineCounter;

  private constructor(file: string, text: string, document: Document, lines: LineCounter) {
    this.file = file;
    this.text = text;
    this.#document = document;
    this.#lines = lines;
    this.data = document.toJS({ maxAliasCount: 100 });
  }

  /** Parses YAML; a syntax error becomes CODEGEN_YAML_SYNTAX at its position. */
  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const [first] = document.errors;
    if (first) {
      const { line, col } = lines.linePos(first.pos[0]);
      throw codegenError("CODEGEN_YAML_SYNTAX", first.message.split("\n")[0] ?? first.message, {
        file,
        line,
        column: col,
      });
    }
    return new YamlSource(file, text, document, lines);
  }

  /** The location of the deepest existing node on `path` (the file start when nothing matches). */
  locate(path: readonly (string | number)[]): SourceLocation {
    let node: unknown = this.#document.contents;
    let offset = 0;
    for (const key of path) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        if (pair && isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
        next = pair?.value;
      } else if (isSeq(node)) {
        next = node.items[Number(key)];
        const range = (next as { range?: [number, number, number] } | undefined)?.range;
        if (range) offset = range[0];
      }
      if (next === undefined || next === null) break;
      node = next;
    }
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** The location of a character offset into the text given as 0-based line and character. */
  position(line: number, character: number): SourceLocation {
    return { file: this.file, line: line + 1, column: character + 1 };
  }
}
