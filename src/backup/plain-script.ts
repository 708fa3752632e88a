/**
 * Vetting of a SQL script that psql is to run for a restore (a plain pg_dump file, or what
 * `pg_restore -f -` prints): in one streaming pass with constant memory, every line outside COPY
 * data is read with PostgreSQL's scanner (libpg-query) the way psql reads it, and the script is
 * refused when psql would do anything but send SQL to the server, or when the SQL would end
 * pgwarden's transaction:
 * - a psql meta-command (a backslash outside quotes and comments, anywhere in a line) other than
 *   the lines pg_dump writes — `\restrict <key>` / `\unrestrict <key>` and `\connect` to the
 *   target database (psql-meta-command.ts) — which are dropped from what psql reads;
 * - a psql variable (`:name`, `:'name'`, `:"name"`, `:{?name}`) psql could replace with a value
 *   nobody vetted (array slices such as `[1:n]` stay allowed);
 * - top-level transaction control (BEGIN/START, COMMIT/END, ROLLBACK/ABORT, SAVEPOINT/RELEASE,
 *   PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED, SET TRANSACTION…), `CREATE/DROP DATABASE`,
 *   `COPY … PROGRAM`;
 * - text that psql or the server could read differently than the scanner does: a NUL byte, a
 *   backslash before a quote in a string (standard_conforming_strings off), a backslash or `;`
 *   right after a non-ASCII byte (client encodings such as SJIS or JOHAB).
 *
 * Statements are split exactly as psql splits them (psqlscan.l: parentheses, and BEGIN … END in
 * CREATE FUNCTION/PROCEDURE); a command psql sends with several statements in it (a rule with
 * several actions, a BEGIN ATOMIC body) is parsed with the grammar and each statement judged.
 * The scanner reads a line at a time; a string, quoted name, comment or dollar quote that runs over
 * several lines is read once its closing delimiter shows up. COPY data is counted (rows per table)
 * and passed through unread but for its `\.` line. What was vetted can be handed on line by line
 * (`output`), a line only after everything in it was judged.
 */
import type { ErrorCode } from '../errors/codes.js';
import { parseSql, scanSql, type Token } from '../sql/parser.js';
import {
  type CopyCounts,
  CopyScriptReader,
  isLargeObjectEntry,
  isTocEntryComment,
  isTrailer,
  type TableRows,
} from './copy-counter.js';
import { readMetaLine } from './psql-meta-command.js';

export interface ScriptProblem {
  code: ErrorCode;
  /** 1-based line of the script, 0 when the problem is about the script as a whole */
  line: number;
  message: string;
  hint: string;
}

export interface VetOptions {
  /** the target database: `\connect` to it is accepted (and dropped), to any other refused */
  database?: string | undefined;
  /**
   * The script is `pg_restore --single-transaction` output: its first statement may be BEGIN and
   * its last COMMIT (then nothing after it is handed on before the end is known).
   */
  outerTransaction?: boolean;
  /** Throw at the first problem (for the stream psql reads); else collect up to 20 of them. */
  stopAtFirst?: boolean;
  /** Receives what psql is to read, in order, each part only once it is vetted. */
  output?: (bytes: Buffer) => void;
}

export interface ScriptFacts extends Omit<CopyCounts, 'connects'> {
  /** `\connect` lines to the target database (dropped from what psql reads) */
  connects: number;
  /** the `\restrict` keys the script used (pg_dump 15.14 and later writes one) */
  restrictKeys: string[];
  /** empty when the script can be restored */
  problems: ScriptProblem[];
}

/** Longest line, statement, or multi-line string/comment that is vetted (psql holds one in memory). */
export const MAX_SQL_BYTES = 16 * 1024 * 1024;
const MAX_PROBLEMS = 20;

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DASH = 0x2d;
const QUOTE = 0x27;
const NEWLINE = Buffer.from('\n');

const REFUSED: ErrorCode = 'PLAIN_DUMP_REFUSED';
const HINT_SQL_ONLY =
  'pgwarden restores plain SQL only: a dump written by pg_dump holds no psql commands but \\restrict, \\unrestrict and \\connect to its own database, and no transaction control outside large-object data. Do not restore this file as it is; use a custom-format dump (pg_dump -Fc), or read the file and run it with psql yourself.';
const HINT_DAMAGED = 'The file is damaged, cut short or was not written by pg_dump; use another dump.';

/** Statements that end or open a transaction, by their first word. */
const TRANSACTION_WORDS = new Set([
  'BEGIN',
  'START',
  'COMMIT',
  'END',
  'ROLLBACK',
  'ABORT',
  'SAVEPOINT',
  'RELEASE',
]);
/** Settings of the current transaction. */
const TRANSACTION_SETTINGS = new Set([
  'TRANSACTION_ISOLATION',
  'TRANSACTION_READ_ONLY',
  'TRANSACTION_DEFERRABLE',
]);

/** Thrown inside the vetter to stop reading; the driver turns it into the result. */
export class ScriptRefused extends Error {
  constructor(readonly problem: ScriptProblem) {
    super(problem.message);
  }
}

/** psql's `variable_char`: what may follow `:` in a variable reference. */
function isVariableChar(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code >= 0x80
  );
}

/**
 * Whether psql could have a variable of this name: psql sets only upper-case names (DBNAME, USER,
 * ON_ERROR_STOP…), and nothing else can set one once meta-commands are refused.
 */
function couldBeVariable(name: string): boolean {
  return !/[a-z]/.test(name) && !/^[0-9]+$/.test(name);
}

function isComment(token: Token): boolean {
  return token.name === 'SQL_COMMENT' || token.name === 'C_COMMENT';
}

/** An unquoted identifier or a keyword: what psql's lexer counts as `{identifier}`. */
function isIdentifier(token: Token): boolean {
  return (token.name === 'IDENT' && token.text[0] !== '"') || token.keyword !== 'NO_KEYWORD';
}

/** A string constant whose closing quote may be continued on a later line ('a' / 'b'). */
function isQuotedString(token: Token): boolean {
  const t = token.text;
  if (t[0] === "'") return true;
  const second = t[1] === '&' ? t[2] : t[1];
  return second === "'" && /^(?:[eEnNbBxX]|[uU]&)'/.test(t);
}

/** A word of a statement for classification: keywords and identifiers upper-cased, quotes removed. */
function word(token: Token): string {
  const t = token.text;
  if (token.name === 'IDENT' && t[0] === '"') return t.slice(1, -1).replace(/""/g, '"').toUpperCase();
  return t.toUpperCase();
}

function isBlank(raw: Buffer): boolean {
  for (const byte of raw)
    if (byte !== 0x20 && byte !== 0x09 && byte !== CR && byte !== 0x0c && byte !== 0x0b) return false;
  return true;
}

function firstNonBlank(raw: Buffer): number {
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== CR && byte !== 0x0c && byte !== 0x0b) return i;
  }
  return -1;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function withoutCr(raw: Buffer): Buffer {
  return raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
}

/** SQL text read with the scanner: one or more whole lines, or the rest of a line and more. */
interface Piece {
  /** the bytes as latin1 (one character per byte), lines joined and ended with `\n` */
  text: string;
  /** line number of the first character */
  firstLine: number;
}

/**
 * The scanner reports UTF-8 byte offsets; a piece holds one character per byte of the file, and
 * those above 0x7f take two bytes in UTF-8. Converts increasing byte offsets to characters and
 * lines in one pass.
 */
class Positions {
  private char = 0;
  private byte = 0;
  private lineChar = 0;
  private line: number;

  constructor(
    private readonly piece: Piece,
    private readonly ascii: boolean,
  ) {
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

/** A statement psql is collecting: it sends it at a `;` outside parentheses and BEGIN … END. */
interface Chunk {
  line: number;
  /** the first three words, for classification */
  words: string[];
  /** its text so far (latin1), and where it starts in the current piece */
  text: string;
  from: number;
  /** a `;` inside: psql sends several statements at once, the grammar splits them */
  inner: boolean;
}

export class ScriptVetter extends CopyScriptReader {
  readonly problems: ScriptProblem[] = [];
  private complete = false;
  private largeObjects = false;
  private connects = 0;
  private readonly restrictKeys: string[] = [];
  private restricted: string | undefined;
  private afterDashes = false;

  // psql's lexer state (fe_utils/psqlscan.l)
  private parenDepth = 0;
  private beginDepth = 0;
  private identifierCount = 0;
  private identifiers = ['', '', '', ''];
  /** the line of a refused meta-command: the rest of it is the command's arguments, not SQL */
  private metaArguments = 0;
  /** `[ … ]` depth, for array slices `a[1:n]` */
  private bracketDepth = 0;
  private chunk: Chunk | undefined;
  private chunks = 0;
  /** a `COPY … FROM stdin` ended on this line: its data follows the line */
  private copyPending: { line: number; copy: any } | undefined;
  /** pg_restore's closing COMMIT (outerTransaction): nothing may follow */
  private outerCommit = 0;

  /** Lines read but not yet handed on (a statement or string that continues), from `heldFrom`. */
  private held: Buffer[] = [];
  private heldFrom = 0;
  /** The open string, quoted name or comment (or a string that may continue on the next line). */
  private tail: { text: string; firstLine: number; continuation: boolean; closers: string[] } | undefined;
  /** Characters given to the scanner (bounded: a file cannot make vetting quadratic). */
  private scanned = 0;

  constructor(private readonly options: VetOptions = {}) {
    super(MAX_SQL_BYTES);
  }

  override push(chunk: Buffer): void {
    if (chunk.indexOf(0) !== -1) this.nulByte(chunk);
    super.push(chunk);
  }

  /** The end of the script: what is still open is an error; the facts. */
  finish(): ScriptFacts {
    this.endInput();
    if (this.tail?.continuation) this.rescan(this.takeTail(), true);
    if (this.tail) {
      this.fatal(
        'BACKUP_INVALID',
        this.tail.firstLine,
        `the script ends inside a string, quoted name or comment that starts at line ${this.tail.firstLine}`,
        HINT_DAMAGED,
      );
    }
    if (this.chunk) {
      this.fatal(
        'BACKUP_INVALID',
        this.chunk.line,
        `the script ends inside the statement that starts at line ${this.chunk.line}`,
        HINT_DAMAGED,
      );
    }
    this.release(Number.POSITIVE_INFINITY, true);
    return this.facts();
  }

  /** The line read last. */
  get lineNumber(): number {
    return this.line;
  }

  facts(): ScriptFacts {
    return {
      tables: this.tables,
      complete: this.complete,
      largeObjects: this.largeObjects,
      connects: this.connects,
      restrictKeys: this.restrictKeys,
      bytes: this.bytes,
      problems: this.problems,
    };
  }

  protected override copyData(data: Buffer): void {
    this.options.output?.(data);
  }

  protected override sqlLine(raw: Buffer | undefined): void {
    if (raw === undefined) {
      this.fatal(
        REFUSED,
        this.line,
        `line ${this.line} is longer than ${MAX_SQL_BYTES} bytes`,
        HINT_SQL_ONLY,
      );
    }
    if (this.tail) this.tailLine(raw);
    else this.readyLine(raw);
    if (this.copyPending && !this.tail) {
      const { copy } = this.copyPending;
      this.copyPending = undefined;
      this.startCopy(copy);
    }
  }

  /** A line that starts outside any string or comment. */
  private readyLine(raw: Buffer): void {
    const line = this.line;
    const afterDashes = this.afterDashes;
    this.afterDashes = false;
    this.held.push(raw);
    this.heldFrom = line - this.held.length + 1;
    if (isBlank(raw)) {
      this.release(line + 1);
      return;
    }
    if (raw[0] === DASH && raw[1] === DASH) {
      // a comment to the end of the line
      const text = withoutCr(raw);
      this.afterDashes = text.length === 2;
      if (!this.chunk && isTrailer(text)) this.complete = true;
      if (!this.chunk && afterDashes && isTocEntryComment(text) && isLargeObjectEntry(text))
        this.largeObjects = true;
      this.release(line + 1);
      return;
    }
    if (raw[0] === BACKSLASH) {
      this.metaLine(raw, line);
      return;
    }
    this.scanPiece({ text: `${raw.toString('latin1')}\n`, firstLine: line }, []);
  }

  /** A line inside an open string or comment, or after a string that may continue. */
  private tailLine(raw: Buffer): void {
    const tail = this.tail!;
    this.held.push(raw);
    tail.text += `${raw.toString('latin1')}\n`;
    if (tail.text.length > MAX_SQL_BYTES) {
      this.fatal(
        REFUSED,
        tail.firstLine,
        `line ${tail.firstLine}: a string, quoted name or comment longer than ${MAX_SQL_BYTES} bytes starts here`,
        HINT_SQL_ONLY,
      );
    }
    if (tail.continuation) {
      // 'a' <newline> 'b' is one string: blank lines and -- comment lines may come between
      const first = firstNonBlank(raw);
      if (first === -1 || (raw[first] === DASH && raw[first + 1] === DASH)) return;
      if (raw[first] !== QUOTE) {
        // not continued: the string is complete, the line starts outside it
        this.held.pop();
        tail.text = tail.text.slice(0, tail.text.length - raw.length - 1);
        this.rescan(this.takeTail(), true);
        this.readyLine(raw);
        return;
      }
      this.rescan(this.takeTail());
      return;
    }
    const text = raw.toString('latin1');
    if (tail.closers.some((closer) => text.includes(closer))) this.rescan(this.takeTail());
  }

  private takeTail() {
    const tail = this.tail!;
    this.tail = undefined;
    return tail;
  }

  /** Scans the tail again; `complete` when nothing can continue it (the last string is whole). */
  private rescan(tail: NonNullable<ScriptVetter['tail']>, complete = false): void {
    this.scanPiece({ text: tail.text, firstLine: tail.firstLine }, tail.closers, complete);
  }

  /**
   * Scans a piece and judges its tokens. A piece that ends inside a string, quoted name, comment
   * or dollar quote is judged up to it; the rest waits for its closing delimiter (`tail`).
   */
  private scanPiece(piece: Piece, closers: string[], complete = false): void {
    const tokens = this.scan(piece.text);
    if (tokens) {
      const last = tokens.at(-1);
      if (last && !complete && isQuotedString(last)) {
        this.judge(piece, tokens, tokens.length - 1, 'continuation', []);
      } else {
        this.judge(piece, tokens, tokens.length, undefined, []);
      }
      return;
    }
    const candidates = [...new Set([...closers, ...closersFor(piece.text)])];
    for (const closer of candidates) {
      const closed = this.scan(piece.text + closer);
      if (closed) {
        this.judge(piece, closed, closed.length - 1, 'construct', [closer]);
        return;
      }
    }
    this.fatal(
      REFUSED,
      piece.firstLine,
      `line ${piece.firstLine}: PostgreSQL's scanner cannot read the text from here (an invalid string, escape, quoted name, comment or number)`,
      HINT_DAMAGED,
    );
  }

  private scan(text: string): Token[] | undefined {
    this.scanned += text.length;
    if (this.scanned > 32 * this.bytes + 4 * MAX_SQL_BYTES) {
      this.fatal(
        REFUSED,
        this.line,
        `line ${this.line}: vetting the script costs too much (strings or comments that open and close over and over across lines)`,
        HINT_SQL_ONLY,
      );
    }
    return scanSql(text);
  }

  /**
   * Judges `tokens[0, count)` of the piece; when `open` is set, the token at `count` (the last)
   * starts the new tail: a string that may continue, or an open string/name/comment.
   */
  private judge(
    piece: Piece,
    tokens: Token[],
    count: number,
    open: 'continuation' | 'construct' | undefined,
    closers: string[],
  ): void {
    const ascii = Buffer.byteLength(piece.text, 'utf8') === piece.text.length;
    const at = new Positions(piece, ascii);
    let end = piece.text.length;
    for (let i = 0; i < count; i++) {
      const token = tokens[i]!;
      const start = at.charOf(token.start);
      const line = at.lineOf(start);
      if (this.copyPending) {
        // psql reads the data from the next line; only a -- comment may share the COPY's line
        if (token.name === 'SQL_COMMENT' && line === this.copyPending.line) continue;
        this.fatal(
          REFUSED,
          line,
          `line ${line}: text after COPY … FROM stdin; on the same line`,
          HINT_SQL_ONLY,
        );
      }
      if (isComment(token) || line === this.metaArguments) continue;
      this.token(piece, tokens, i, start, at.charOf(token.end), line);
    }
    let tailLine = Number.POSITIVE_INFINITY;
    if (open) {
      const last = tokens[count]!;
      const start = at.charOf(last.start);
      tailLine = at.lineOf(start);
      end = start;
      if (this.copyPending) {
        this.fatal(
          REFUSED,
          tailLine,
          `line ${tailLine}: text after COPY … FROM stdin; on the same line`,
          HINT_SQL_ONLY,
        );
      }
      this.tail = {
        text: piece.text.slice(start),
        firstLine: tailLine,
        continuation: open === 'continuation',
        closers,
      };
    }
    if (this.chunk) {
      this.chunk.text += piece.text.slice(this.chunk.from, end);
      this.chunk.from = 0;
      if (this.chunk.text.length > MAX_SQL_BYTES) {
        this.fatal(
          REFUSED,
          this.chunk.line,
          `line ${this.chunk.line}: a statement longer than ${MAX_SQL_BYTES} bytes starts here`,
          HINT_SQL_ONLY,
        );
      }
    }
    if (this.copyPending && !open) {
      const lastLine = piece.firstLine + countLines(piece.text) - 1;
      if (this.copyPending.line !== lastLine) {
        this.fatal(
          REFUSED,
          lastLine,
          `line ${lastLine}: text after COPY … FROM stdin; (line ${this.copyPending.line})`,
          HINT_SQL_ONLY,
        );
      }
    }
    this.release(tailLine);
  }

  /** One token outside comments, at `start` (a character of the piece). */
  private token(piece: Piece, tokens: Token[], i: number, start: number, end: number, line: number): void {
    const token = tokens[i]!;
    const text = token.text;
    if (text === '\\') {
      const command = piece.text.slice(start, start + 40).split(/[\s]/, 1)[0]!;
      this.problem(
        REFUSED,
        line,
        `line ${line}: psql meta-command ${command}: pgwarden runs SQL only`,
        HINT_SQL_ONLY,
      );
      this.metaArguments = line; // psql takes the rest of the line as the command's arguments
      return;
    }
    if (text === ':') {
      this.variable(tokens[i + 1], token, line);
    } else if (isQuotedString(token)) {
      this.stringLiteral(text, line);
    }

    if (!this.chunk) {
      this.chunk = { line, words: [], text: '', from: start, inner: false };
    }
    const chunk = this.chunk;
    if (chunk.words.length < 3 && text !== ';') chunk.words.push(word(token));

    if (text === '(') this.parenDepth++;
    else if (text === ')') this.parenDepth = Math.max(0, this.parenDepth - 1);
    else if (text === '[') this.bracketDepth++;
    else if (text === ']') this.bracketDepth = Math.max(0, this.bracketDepth - 1);
    else if (isIdentifier(token)) {
      this.identifier(text);
      if (!this.largeObjects && text.toLowerCase() === 'lo_open' && tokens[i + 1]?.text === '(') {
        this.largeObjects = true;
      }
    } else if (text === ';') {
      if (start > 0 && piece.text.charCodeAt(start - 1) > 0x7f) {
        this.problem(
          REFUSED,
          line,
          `line ${line}: a ';' right after a non-ASCII byte: in some client encodings (JOHAB) the two are one character`,
          HINT_SQL_ONLY,
        );
      }
      if (this.parenDepth === 0 && this.beginDepth === 0) {
        chunk.text += piece.text.slice(chunk.from, end);
        this.chunk = undefined;
        this.identifierCount = 0;
        this.bracketDepth = 0;
        this.endOfStatement(chunk, line);
      } else {
        chunk.inner = true;
      }
    }
  }

  /**
   * psqlscan.l's `{identifier}` rule: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside
   * parentheses, BEGIN … END (and CASE … END inside it) keep a `;` from ending the command.
   */
  private identifier(text: string): void {
    const lower = text.toLowerCase();
    if (this.identifierCount === 0) this.identifiers = ['', '', '', ''];
    if (['create', 'function', 'procedure', 'or', 'replace'].includes(lower) && this.identifierCount < 4) {
      this.identifiers[this.identifierCount] = lower[0]!;
    }
    this.identifierCount++;
    const [a, b, c, d] = this.identifiers;
    const routine =
      a === 'c' && (b === 'f' || b === 'p' || (b === 'o' && c === 'r' && (d === 'f' || d === 'p')));
    if (!routine || this.parenDepth !== 0) return;
    if (lower === 'begin') this.beginDepth++;
    else if (lower === 'case') {
      if (this.beginDepth >= 1) this.beginDepth++;
    } else if (lower === 'end' && this.beginDepth > 0) this.beginDepth--;
  }

  /** A `:` right before a name or a quote: a psql variable reference (psqlscan.l). */
  private variable(next: Token | undefined, colon: Token, line: number): void {
    if (!next || next.start !== colon.end) return;
    const text = next.text;
    const first = text.charCodeAt(0);
    let name: string | undefined;
    if (text[0] === "'" || text[0] === '"' || text[0] === '{') name = text.slice(0, 30);
    else if (isVariableChar(first)) {
      let n = 0;
      while (n < text.length && isVariableChar(text.charCodeAt(n))) n++;
      const candidate = text.slice(0, n);
      if (this.bracketDepth === 0 || couldBeVariable(candidate)) name = candidate;
    }
    if (name === undefined) return;
    this.problem(
      REFUSED,
      line,
      `line ${line}: psql variable :${name}: psql would put a value in its place that pgwarden did not vet`,
      HINT_SQL_ONLY,
    );
  }

  /**
   * Strings read the same whatever standard_conforming_strings and the client encoding are: a
   * plain '…' string (which turns into an escape string when the setting is off) must not hold
   * an escaped-looking quote, and no backslash may follow a non-ASCII byte in an E'…' string.
   */
  private stringLiteral(text: string, line: number): void {
    const lead = text[0]!;
    const escaped = (lead === 'e' || lead === 'E') && text[1] === "'";
    const plain = lead === "'" || ((lead === 'n' || lead === 'N') && text[1] === "'");
    if (escaped) {
      for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i + 1)) {
        if (i > 0 && text.charCodeAt(i - 1) > 0x7f) {
          this.problem(
            REFUSED,
            line,
            `line ${line}: a backslash right after a non-ASCII byte in an E'…' string: in some client encodings (SJIS, BIG5, GBK) it is part of a character`,
            HINT_SQL_ONLY,
          );
          return;
        }
      }
      return;
    }
    if (!plain) return;
    for (let i = text.indexOf("'", 1); i !== -1; i = text.indexOf("'", i + 1)) {
      let k = 0;
      while (text[i - 1 - k] === '\\') k++;
      if (k > 0 && (k % 2 === 1 || text.charCodeAt(i - 1 - k) > 0x7f)) {
        this.problem(
          REFUSED,
          line,
          `line ${line}: a string with a backslash before a quote: psql and the server read it differently when standard_conforming_strings is off`,
          HINT_SQL_ONLY,
        );
        return;
      }
    }
  }

  /** psql sends the command: judge what the server will run. */
  private endOfStatement(chunk: Chunk, end: number): void {
    const first = this.chunks === 0;
    this.chunks++;
    const { line, words } = chunk;
    if (this.outerCommit) {
      this.problem(
        REFUSED,
        line,
        `line ${line}: a statement after the script's closing COMMIT would run outside the restore's transaction`,
        HINT_SQL_ONLY,
      );
    }
    if (chunk.inner) {
      this.statements(chunk);
      return;
    }
    const [w0, w1] = words;
    if (this.options.outerTransaction && words.length === 1) {
      if (first && w0 === 'BEGIN') return;
      if (w0 === 'COMMIT') {
        this.outerCommit = line;
        return;
      }
    }
    if (
      TRANSACTION_WORDS.has(w0!) ||
      (w0 === 'PREPARE' && w1 === 'TRANSACTION') ||
      (w0 === 'SET' && isTransactionSet(words))
    ) {
      this.transactionControl(line, chunk.text);
    } else if ((w0 === 'CREATE' || w0 === 'DROP') && w1 === 'DATABASE') {
      this.database(line, `${w0} ${w1}`);
    } else if (w0 === 'COPY') {
      this.copyStatement(chunk, end);
    }
  }

  /** A command psql sends with `;` inside: the grammar says which statements the server runs. */
  private statements(chunk: Chunk): void {
    const parsed = parseSql(Buffer.from(chunk.text, 'latin1').toString('utf8'));
    if ('error' in parsed) {
      this.problem(
        REFUSED,
        chunk.line,
        `line ${chunk.line}: psql would send the text from here to the next ';' as one command, and PostgreSQL's grammar cannot parse it (${parsed.error.message})`,
        HINT_DAMAGED,
      );
      return;
    }
    for (const { stmt } of parsed.stmts) {
      const kind = Object.keys(stmt)[0];
      const node = stmt[kind!];
      if (kind === 'TransactionStmt' || (kind === 'VariableSetStmt' && isTransactionSetting(node))) {
        this.transactionControl(chunk.line, chunk.text);
      } else if (kind === 'CreatedbStmt' || kind === 'DropdbStmt') {
        this.database(chunk.line, kind === 'CreatedbStmt' ? 'CREATE DATABASE' : 'DROP DATABASE');
      } else if (kind === 'CopyStmt' && (node.is_program || (node.is_from && node.filename === undefined))) {
        this.problem(
          REFUSED,
          chunk.line,
          `line ${chunk.line}: a COPY … FROM stdin or COPY … PROGRAM inside a command with several statements`,
          HINT_SQL_ONLY,
        );
      }
    }
  }

  private transactionControl(line: number, text: string): void {
    const shown = text.trim().replace(/\s+/g, ' ').slice(0, 60);
    this.problem(
      REFUSED,
      line,
      `line ${line}: transaction control at top level (${shown}): it would end pgwarden's transaction, so a failure could no longer roll the restore back`,
      HINT_SQL_ONLY,
    );
  }

  private database(line: number, what: string): void {
    this.problem(
      'BACKUP_FOREIGN',
      line,
      `line ${line}: ${what}: the dump was made with pg_dump --create or by pg_dumpall, and a database cannot be created or dropped inside the restore's transaction`,
      'Restore a dump of the one database, made without --create.',
    );
  }

  /** `end`: the line of the `;` — psql reads the data from the next line. */
  private copyStatement(chunk: Chunk, end: number): void {
    const parsed = parseSql(Buffer.from(chunk.text, 'latin1').toString('utf8'));
    const copy = 'error' in parsed ? undefined : parsed.stmts[0]?.stmt.CopyStmt;
    if (!copy || ('stmts' in parsed && parsed.stmts.length !== 1)) {
      const reason = 'error' in parsed ? parsed.error.message : 'not one COPY statement';
      this.fatal(
        'BACKUP_INVALID',
        chunk.line,
        `line ${chunk.line}: cannot parse the COPY statement that starts here (${reason})`,
        HINT_DAMAGED,
      );
    }
    if (copy.is_program) {
      this.problem(
        REFUSED,
        chunk.line,
        `line ${chunk.line}: COPY … PROGRAM runs a program on the database server`,
        HINT_SQL_ONLY,
      );
      return;
    }
    if (copy.is_from && copy.filename === undefined) this.copyPending = { line: end, copy };
  }

  /** A line starting with a backslash, outside any statement: only pg_dump's own are accepted. */
  private metaLine(raw: Buffer, line: number): void {
    this.held.pop();
    const meta = readMetaLine(raw);
    if (this.chunk) {
      const name = meta.kind === 'other' ? meta.command : meta.kind;
      this.problem(
        REFUSED,
        line,
        `line ${line}: psql meta-command \\${name} in the middle of a statement`,
        HINT_SQL_ONLY,
      );
    } else if (meta.kind === 'other') {
      this.problem(
        REFUSED,
        line,
        `line ${line}: psql meta-command \\${meta.command}: pgwarden runs SQL only`,
        HINT_SQL_ONLY,
      );
    } else if (meta.kind === 'restrict') {
      if (this.restricted !== undefined) {
        this.problem(REFUSED, line, `line ${line}: \\restrict while already restricted`, HINT_SQL_ONLY);
      }
      this.restricted = meta.key;
      this.restrictKeys.push(meta.key);
    } else if (meta.kind === 'unrestrict') {
      if (this.restricted !== meta.key) {
        this.problem(
          REFUSED,
          line,
          `line ${line}: \\unrestrict with a key no \\restrict before it set`,
          HINT_SQL_ONLY,
        );
      }
      this.restricted = undefined;
    } else if (meta.kind === 'connect' && this.restricted !== undefined) {
      this.problem(
        REFUSED,
        line,
        `line ${line}: \\connect in restricted mode (psql would refuse it)`,
        HINT_SQL_ONLY,
      );
    } else if (meta.kind === 'connect' && meta.database !== this.options.database) {
      this.problem(
        'BACKUP_FOREIGN',
        line,
        `line ${line}: \\connect ${meta.database}: the dump switches to database "${meta.database}"${this.options.database === undefined ? '' : `, the target is "${this.options.database}"`}`,
        'It was made with pg_dump --create or by pg_dumpall; restore a dump of the one database, made without --create.',
      );
    } else {
      this.connects++;
    }
    // psql reads an empty line in its place
    this.held.push(Buffer.alloc(0));
    this.release(line + 1);
  }

  /** Hands on the held lines before `line` (all of them at the end). */
  private release(line: number, end = false): void {
    if (this.outerCommit && !end) return; // until the end shows nothing follows pg_restore's COMMIT
    const n = Math.min(this.held.length, Math.max(0, line - this.heldFrom));
    if (n === 0) return;
    const output = this.options.output;
    if (output) {
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) parts.push(this.held[i]!, NEWLINE);
      output(Buffer.concat(parts));
    }
    this.held = this.held.slice(n);
    this.heldFrom += n;
  }

  private nulByte(chunk: Buffer): void {
    const at = chunk.indexOf(0);
    let line = this.line + 1;
    for (let i = chunk.indexOf(LF); i !== -1 && i < at; i = chunk.indexOf(LF, i + 1)) line++;
    this.fatal(REFUSED, line, `near line ${line}: a NUL byte: psql would cut the line there`, HINT_DAMAGED);
  }

  private problem(code: ErrorCode, line: number, message: string, hint: string): void {
    this.problems.push({ code, line, message, hint });
    if (this.options.stopAtFirst || this.problems.length >= MAX_PROBLEMS) {
      throw new ScriptRefused(this.problems[0]!);
    }
  }

  private fatal(code: ErrorCode, line: number, message: string, hint: string): never {
    this.problems.push({ code, line, message, hint });
    throw new ScriptRefused(this.problems[0]!);
  }
}

/** `SET TRANSACTION …`, `SET SESSION CHARACTERISTICS AS TRANSACTION …`, `SET transaction_read_only …`. */
function isTransactionSet(words: string[]): boolean {
  const [, w1, w2] = words;
  if (w1 === 'TRANSACTION' || (w1 === 'SESSION' && w2 === 'CHARACTERISTICS')) return true;
  const name = w1 === 'LOCAL' || w1 === 'SESSION' ? w2 : w1;
  return name !== undefined && TRANSACTION_SETTINGS.has(name);
}

function isTransactionSetting(node: any): boolean {
  const name = String(node?.name ?? '').toUpperCase();
  return name === 'TRANSACTION' || name === 'SESSION CHARACTERISTICS' || TRANSACTION_SETTINGS.has(name);
}

/**
 * The delimiters that could close what is open at the end of `text`: a quote, a double quote,
 * the end of (nested) comments, or one of the dollar-quote delimiters that appear in it. Only
 * candidates: the scanner says which one really closes it.
 */
function closersFor(text: string): string[] {
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

export type { TableRows };
