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
} from './copy-counter.js';
import {
  ambiguousString,
  commandKind,
  commandWord,
  isComment,
  isQuotedString,
  PsqlCommandSplitter,
  statementKind,
  variableReference,
} from './psql-commands.js';
import { MetaLines, readMetaLine } from './psql-meta-command.js';
import { closersFor, firstNonBlank, lastLineOf, type Piece, Positions, withoutCr } from './scanned-piece.js';

export interface ScriptProblem {
  code: ErrorCode;
  /** 1-based line of the script */
  line: number;
  message: string;
  hint: string;
}

export interface VetOptions {
  /** the target database: `\connect` to it is accepted (and dropped), to any other refused */
  database?: string | undefined;
  /**
   * The script is `pg_restore --single-transaction` output: its first statement may be BEGIN and
   * its last COMMIT, each alone on its line; both are handed on as empty lines, so that the
   * caller's own transaction spans the script (and what follows the COMMIT is held until the end
   * shows it is nothing but comments).
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
const BACKSLASH = 0x5c;
const DASH = 0x2d;
const QUOTE = 0x27;
const NEWLINE = Buffer.from('\n');

const REFUSED: ErrorCode = 'PLAIN_DUMP_REFUSED';
const HINT_SQL_ONLY =
  'pgwarden restores plain SQL only: a dump written by pg_dump holds no psql commands but \\restrict, \\unrestrict and \\connect to its own database, and no transaction control outside large-object data. Do not restore this file as it is; use a custom-format dump (pg_dump -Fc), or read the file and run it with psql yourself.';
const HINT_DAMAGED = 'The file is damaged, cut short or was not written by pg_dump; use another dump.';

/** Thrown inside the vetter to stop reading; the driver turns it into the result. */
export class ScriptRefused extends Error {
  constructor(readonly problem: ScriptProblem) {
    super(problem.message);
  }
}

/** A command psql is collecting: it sends it at a `;` outside parentheses and BEGIN … END. */
interface Command {
  line: number;
  /** the first three words, for classification */
  words: string[];
  /** its text so far (latin1), and where it starts in the current piece */
  text: string;
  from: number;
  /** a `;` inside: psql sends several statements at once, the grammar splits them */
  inner: boolean;
}

/** An open string, quoted name or comment, or a string that may continue on the next line. */
interface Tail {
  text: string;
  firstLine: number;
  continuation: boolean;
  /** what can close it: a new line holding none of them is not worth scanning again */
  closers: string[];
}

export class ScriptVetter extends CopyScriptReader {
  readonly problems: ScriptProblem[] = [];
  private complete = false;
  private largeObjects = false;
  private connects = 0;
  private readonly restrictKeys: string[] = [];
  private readonly metaLines: MetaLines;
  private afterDashes = false;

  private readonly splitter = new PsqlCommandSplitter();
  private command: Command | undefined;
  private commands = 0;
  /** the line of a refused meta-command: the rest of it is the command's arguments, not SQL */
  private metaArguments = 0;
  /** a `COPY … FROM stdin` ended on this line: its data follows the line */
  private copyPending: { line: number; copy: any } | undefined;
  /** pg_restore's closing COMMIT (outerTransaction): nothing may follow */
  private outerCommit = 0;
  private afterCommit = 0;

  /** Lines read but not yet handed on (a statement or string that continues), from `heldFrom`. */
  private held: Buffer[] = [];
  private heldFrom = 0;
  private tail: Tail | undefined;
  /** Characters given to the scanner (bounded: a file cannot make vetting quadratic). */
  private scanned = 0;

  constructor(private readonly options: VetOptions = {}) {
    super(MAX_SQL_BYTES);
    this.metaLines = new MetaLines(options.database);
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
      const { firstLine } = this.tail;
      this.fatal(
        'BACKUP_INVALID',
        firstLine,
        `the script ends inside a string, quoted name or comment that starts at line ${firstLine}`,
        HINT_DAMAGED,
      );
    }
    if (this.command) {
      const { line } = this.command;
      this.fatal(
        'BACKUP_INVALID',
        line,
        `the script ends inside the statement that starts at line ${line}`,
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
    if (this.outerCommit) {
      // held until the end shows that nothing but comments follows pg_restore's COMMIT
      this.afterCommit += raw.length + 1;
      if (this.afterCommit > MAX_SQL_BYTES) {
        this.fatal(
          REFUSED,
          this.line,
          `line ${this.line}: more than ${MAX_SQL_BYTES} bytes after the script's closing COMMIT`,
          HINT_SQL_ONLY,
        );
      }
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
    if (firstNonBlank(raw) === -1) {
      this.release(line + 1);
      return;
    }
    if (raw[0] === DASH && raw[1] === DASH) {
      // a comment to the end of the line
      const text = withoutCr(raw);
      this.afterDashes = text.length === 2;
      if (!this.command && isTrailer(text)) this.complete = true;
      if (!this.command && afterDashes && isTocEntryComment(text) && isLargeObjectEntry(text)) {
        this.largeObjects = true;
      }
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
        // not continued: the string is complete, and this line starts outside it
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

  private takeTail(): Tail {
    const tail = this.tail!;
    this.tail = undefined;
    return tail;
  }

  /** Scans the tail again; `complete` when nothing can continue it (the last string is whole). */
  private rescan(tail: Tail, complete = false): void {
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
      if (last && !complete && isQuotedString(last))
        this.judge(piece, tokens, tokens.length - 1, 'continuation', []);
      else this.judge(piece, tokens, tokens.length, undefined, []);
      return;
    }
    for (const closer of new Set([...closers, ...closersFor(piece.text)])) {
      const closed = this.scan(piece.text + closer);
      if (closed) {
        this.judge(piece, closed, closed.length - 1, 'construct', [closer]);
        return;
      }
    }
    const meta = this.metaCommandIn(piece);
    if (meta) {
      // psql takes the rest of the meta-command's line as its arguments (`\! touch /tmp/5e3x`):
      // the text the scanner could not read may be only those, so the command is what to report
      this.judge(meta.piece, meta.tokens, meta.tokens.length, undefined, []);
      if (this.problems.length > 0) throw new ScriptRefused(this.problems[0]!);
    }
    this.fatal(
      REFUSED,
      piece.firstLine,
      `line ${piece.firstLine}: PostgreSQL's scanner cannot read the text from here (an invalid string, escape, quoted name, comment or number)`,
      HINT_DAMAGED,
    );
  }

  /**
   * The piece up to the end of the line of its first backslash outside strings, names and comments
   * (a psql meta-command), and its tokens up to that backslash, when the scanner reads that far;
   * the first few backslashes are tried.
   */
  private metaCommandIn(piece: Piece): { piece: Piece; tokens: Token[] } | undefined {
    let at = piece.text.indexOf('\\');
    for (let tries = 0; at !== -1 && tries < 16; tries++, at = piece.text.indexOf('\\', at + 1)) {
      const tokens = this.scan(piece.text.slice(0, at + 1));
      if (tokens?.at(-1)?.text === '\\') {
        const lineEnd = piece.text.indexOf('\n', at);
        const text = lineEnd === -1 ? piece.text : piece.text.slice(0, lineEnd + 1);
        return { piece: { text, firstLine: piece.firstLine }, tokens };
      }
    }
    return undefined;
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
    const at = new Positions(piece);
    for (let i = 0; i < count; i++) {
      const token = tokens[i]!;
      const start = at.charOf(token.start);
      const line = at.lineOf(start);
      if (this.copyPending) {
        // psql reads the data from the next line; only a -- comment may share the COPY's line
        if (token.name === 'SQL_COMMENT' && line === this.copyPending.line) continue;
        this.textAfterCopy(line);
      }
      if (isComment(token) || line === this.metaArguments) continue;
      this.token(piece, tokens, i, start, at.charOf(token.end), line);
    }
    let end = piece.text.length;
    let tailLine = Number.POSITIVE_INFINITY;
    if (open) {
      end = at.charOf(tokens[count]!.start);
      tailLine = at.lineOf(end);
      if (this.copyPending) this.textAfterCopy(tailLine);
      this.tail = {
        text: piece.text.slice(end),
        firstLine: tailLine,
        continuation: open === 'continuation',
        closers,
      };
    } else if (this.copyPending && this.copyPending.line !== lastLineOf(piece)) {
      this.textAfterCopy(lastLineOf(piece));
    }
    const command = this.command;
    if (command) {
      command.text += piece.text.slice(command.from, end);
      command.from = 0;
      if (command.text.length > MAX_SQL_BYTES) {
        this.fatal(
          REFUSED,
          command.line,
          `line ${command.line}: a statement longer than ${MAX_SQL_BYTES} bytes starts here`,
          HINT_SQL_ONLY,
        );
      }
    }
    this.release(tailLine);
  }

  private textAfterCopy(line: number): never {
    this.fatal(
      REFUSED,
      line,
      `line ${line}: text after COPY … FROM stdin; (line ${this.copyPending!.line}): psql reads the data from the next line`,
      HINT_SQL_ONLY,
    );
  }

  /** One token outside comments, at `start` (a character of the piece). */
  private token(piece: Piece, tokens: Token[], i: number, start: number, end: number, line: number): void {
    const token = tokens[i]!;
    const text = token.text;
    if (text === '\\') {
      const command = piece.text.slice(start, start + 40).split(/\s/, 1)[0]!;
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
      const name = variableReference(token, tokens[i + 1], this.splitter.insideBrackets);
      if (name !== undefined) {
        this.problem(
          REFUSED,
          line,
          `line ${line}: psql variable :${name}: psql would put a value in its place that pgwarden did not vet`,
          HINT_SQL_ONLY,
        );
      }
    } else if (isQuotedString(token)) {
      const why = ambiguousString(text);
      if (why) this.problem(REFUSED, line, `line ${line}: ${why}`, HINT_SQL_ONLY);
    } else if (text === ';' && start > 0 && piece.text.charCodeAt(start - 1) > 0x7f) {
      this.problem(
        REFUSED,
        line,
        `line ${line}: a ';' right after a non-ASCII byte: in some client encodings (JOHAB) the two are one character`,
        HINT_SQL_ONLY,
      );
    } else if (!this.largeObjects && text.toLowerCase() === 'lo_open' && tokens[i + 1]?.text === '(') {
      this.largeObjects = true;
    }

    this.command ??= { line, words: [], text: '', from: start, inner: false };
    const command = this.command;
    if (command.words.length < 3 && text !== ';') command.words.push(commandWord(token));
    const semicolon = this.splitter.token(token);
    if (semicolon === 'inner') command.inner = true;
    else if (semicolon === 'end') {
      command.text += piece.text.slice(command.from, end);
      this.command = undefined;
      this.endOfCommand(command, line);
    }
  }

  /**
   * pg_restore's own BEGIN or COMMIT (outerTransaction), alone on its line as pg_restore writes it:
   * handed on as an empty line, so that the caller's transaction spans the whole script.
   */
  private dropLine(start: number, end: number, text: string): void {
    const at = end - this.heldFrom;
    const held = this.held[at];
    if (start !== end || held === undefined || withoutCr(held).toString('latin1').trim() !== text) {
      this.problem(
        REFUSED,
        start,
        `line ${start}: pg_restore's ${text} is not alone on its line`,
        HINT_SQL_ONLY,
      );
      return;
    }
    this.held[at] = Buffer.alloc(0);
  }

  /** psql sends the command whose `;` is on line `end`: judge what the server will run. */
  private endOfCommand(command: Command, end: number): void {
    const first = this.commands === 0;
    this.commands++;
    const { line, words } = command;
    if (this.outerCommit) {
      this.problem(
        REFUSED,
        line,
        `line ${line}: a statement after the script's closing COMMIT would run outside the restore's transaction`,
        HINT_SQL_ONLY,
      );
    }
    if (command.inner) {
      this.statements(command);
      return;
    }
    if (this.options.outerTransaction && words.length === 1) {
      if (first && words[0] === 'BEGIN') {
        this.dropLine(line, end, 'BEGIN;');
        return;
      }
      if (words[0] === 'COMMIT') {
        this.outerCommit = line;
        this.dropLine(line, end, 'COMMIT;');
        return;
      }
    }
    const kind = commandKind(words);
    if (kind === 'transaction') this.transactionControl(line, command.text);
    else if (kind === 'database') this.database(line, `${words[0]} ${words[1]}`);
    else if (kind === 'copy') this.copyStatement(command, end);
  }

  /** A command psql sends with `;` inside: the grammar says which statements the server runs. */
  private statements(command: Command): void {
    const utf8 = Buffer.from(command.text, 'latin1');
    const parsed = parseSql(utf8.toString('utf8'));
    const { line } = command;
    if ('error' in parsed) {
      this.problem(
        REFUSED,
        line,
        `line ${line}: psql would send the text from here to the next ';' as one command, and PostgreSQL's grammar cannot parse it (${parsed.error.message})`,
        HINT_DAMAGED,
      );
      return;
    }
    for (const { stmt, stmt_location: at = 0, stmt_len: length } of parsed.stmts) {
      const kind = statementKind(stmt);
      const text = utf8.toString('utf8', at, length === undefined || length === 0 ? undefined : at + length);
      if (kind === 'transaction') this.transactionControl(line, text);
      else if (kind === 'database')
        this.database(line, stmt.CreatedbStmt ? 'CREATE DATABASE' : 'DROP DATABASE');
      else if (
        kind === 'copy' &&
        (stmt.CopyStmt.is_program || (stmt.CopyStmt.is_from && stmt.CopyStmt.filename === undefined))
      ) {
        this.problem(
          REFUSED,
          line,
          `line ${line}: a COPY … FROM stdin or COPY … PROGRAM inside a command with several statements`,
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
  private copyStatement(command: Command, end: number): void {
    const parsed = parseSql(Buffer.from(command.text, 'latin1').toString('utf8'));
    const copy = 'error' in parsed || parsed.stmts.length !== 1 ? undefined : parsed.stmts[0]!.stmt.CopyStmt;
    if (!copy) {
      const reason = 'error' in parsed ? parsed.error.message : 'not one COPY statement';
      this.fatal(
        'BACKUP_INVALID',
        command.line,
        `line ${command.line}: cannot parse the COPY statement that starts here (${reason})`,
        HINT_DAMAGED,
      );
    }
    if (copy.is_program) {
      this.problem(
        REFUSED,
        command.line,
        `line ${command.line}: COPY … PROGRAM runs a program on the database server`,
        HINT_SQL_ONLY,
      );
    } else if (copy.is_from && copy.filename === undefined) {
      this.copyPending = { line: end, copy };
    }
  }

  /** A line starting with a backslash: only pg_dump's own, outside statements, are accepted. */
  private metaLine(raw: Buffer, line: number): void {
    const verdict = this.metaLines.judge(readMetaLine(raw), this.command !== undefined);
    if (verdict.refused) {
      const { code, message, hint } = verdict.refused;
      this.problem(code, line, `line ${line}: ${message}`, hint ?? HINT_SQL_ONLY);
    }
    if (verdict.connect) this.connects++;
    if (verdict.restrictKey) this.restrictKeys.push(verdict.restrictKey);
    // psql reads an empty line in its place
    this.held[this.held.length - 1] = Buffer.alloc(0);
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

  private nulByte(chunk: Buffer): never {
    const at = chunk.indexOf(0);
    let line = this.line + 1;
    for (let i = chunk.indexOf(LF); i !== -1 && i < at; i = chunk.indexOf(LF, i + 1)) line++;
    this.fatal(REFUSED, line, `near line ${line}: a NUL byte: psql would cut the line there`, HINT_DAMAGED);
  }

  private problem(code: ErrorCode, line: number, message: string, hint: string): void {
    this.problems.push({ code, line, message, hint });
    if (this.options.stopAtFirst || this.problems.length >= MAX_PROBLEMS)
      throw new ScriptRefused(this.problems[0]!);
  }

  private fatal(code: ErrorCode, line: number, message: string, hint: string): never {
    this.problems.push({ code, line, message, hint });
    throw new ScriptRefused(this.problems[0]!);
  }
}
