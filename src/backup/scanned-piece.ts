/**
 * SQL text handed to PostgreSQL's scanner in pieces (a line, or the lines of a string or comment
 * that runs over several): one character per byte of the file (latin1), so that any encoding
 * reads with the same structure; the scanner's UTF-8 byte offsets converted back to characters and
 * lines; the delimiters that could close what is open at the end of a piece; and byte tests on
 * raw lines.
 */

export interface Piece {
  /** the bytes as latin1 (one character per byte), lines joined and ended with `\n` */
  text: string;
  /** line number of the first character */
  firstLine: number;
}

/**
 * The scanner reports UTF-8 byte offsets; characters above 0x7f of a piece take two bytes in
 * UTF-8. Converts increasing byte offsets to characters, and characters to lines, in one pass.
 */
export class Positions {
  private readonly ascii: boolean;
  private char = 0;
  private byte = 0;
  private lineChar = 0;
  private line: number;

  constructor(private readonly piece: Piece) {
    this.ascii = Buffer.byteLength(piece.text, 'utf8') === piece.text.length;
    this.line = piece.firstLine;
  }

  /** The character offset of a byte offset not before the previous one. */
  charOf(byte: number): number {
    if (this.ascii) return byte;
    const text = this.piece.text;
    while (this.byte < byte) {
      this.byte += text.charCodeAt(this.char) > 0x7f ? 2 : 1;
      this.char++;
    }
    return this.char;
  }

  /** The line of a character offset not before the previous one. */
  lineOf(char: number): number {
    const text = this.piece.text;
    for (let i = text.indexOf('\n', this.lineChar); i !== -1 && i < char; i = text.indexOf('\n', i + 1)) {
      this.line++;
      this.lineChar = i + 1;
    }
    return this.line;
  }
}

/** The last line of a piece. */
export function lastLineOf(piece: Piece): number {
  let n = 0;
  for (let i = piece.text.indexOf('\n'); i !== -1; i = piece.text.indexOf('\n', i + 1)) n++;
  return piece.firstLine + n - 1;
}

/**
 * The delimiters that could close what is open at the end of `text`: a quote, a double quote,
 * the end of (nested) comments, or one of the dollar-quote delimiters that appear in it. Only
 * candidates: the scanner says which one really closes it.
 */
export function closersFor(text: string): string[] {
  const found = ["'", '"', '*/', '*/*/', '*/*/*/'];
  for (let i = text.indexOf('$'); i !== -1 && found.length < 64; i = text.indexOf('$', i + 1)) {
    let j = i + 1;
    while (j < text.length && isDollarTagChar(text.charCodeAt(j), j === i + 1)) j++;
    if (text[j] === '$') {
      const delimiter = text.slice(i, j + 1);
      if (!found.includes(delimiter)) found.push(delimiter);
    }
  }
  return found;
}

/** dolq_start / dolq_cont of the scanner: letters, `_`, bytes above 0x7f, and digits after the first. */
function isDollarTagChar(code: number, first: boolean): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f ||
    code >= 0x80 ||
    (!first && code >= 0x30 && code <= 0x39)
  );
}

const CR = 0x0d;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === CR || byte === 0x0c || byte === 0x0b;
}

/** The first byte of a line that is not white space, -1 for a blank line. */
export function firstNonBlank(raw: Buffer): number {
  for (let i = 0; i < raw.length; i++) if (!isSpace(raw[i]!)) return i;
  return -1;
}

export function withoutCr(raw: Buffer): Buffer {
  return raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
}
