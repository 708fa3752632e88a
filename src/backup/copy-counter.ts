/**
 * Rows per table in a pg_dump script, by streaming: the plain text pg_dump writes (and
 * `pg_restore -f - --data-only` prints) holds each table's data as `COPY … FROM stdin;`, one line
 * per row, then a line that is exactly `\.`. The counter works on Buffers line by line with
 * constant memory; inside a data block it only looks for the terminator.
 *
 * Between data blocks the text is SQL, split into TOC entries by pg_dump's own marker comments
 * (`--` / `-- [Data for ]Name: …; Type: …; Schema: …; Owner: …`). Within an entry, a line that
 * only matters at top level (a COPY, a psql meta-command, the trailer, an lo_open call) is checked
 * with PostgreSQL's scanner (libpg-query): a COPY line inside a string literal or a function body
 * is not data. COPY statements are parsed with the grammar to get the schema and table names.
 * libpg-query lexes only a few MB/s, so the scanner sees just the current entry, and only when
 * such a line appears.
 *
 * The line and data-block machinery is `CopyScriptReader`, shared with the plain-dump vetting of
 * plain-script.ts, which reads every line of SQL with the scanner instead of this heuristic.
 */
import type { Readable } from 'node:stream';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { loadParser, parseSql, scanSql, type Token } from '../sql/parser.js';

export interface TableRows {
  schema: string;
  name: string;
  rows: number;
}

export interface CopyCounts {
  /** One entry per `COPY … FROM stdin` data block, in order of appearance. */
  tables: TableRows[];
  /** Saw the "-- PostgreSQL database dump complete" trailer line. */
  complete: boolean;
  /** Saw large-object data: a BLOB/BLOBS/LARGE OBJECT TOC comment, or an lo_open call at top level. */
  largeObjects: boolean;
  /** Saw a psql `\connect` meta-command line outside COPY data (a pg_dumpall script or `--create` dump). */
  connects: boolean;
  /** Bytes read. */
  bytes: number;
}

export interface CountOptions {
  /** Called after every chunk with the total number of bytes read so far. */
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/** An unambiguous map key for a table (names may contain dots and quotes). */
export function tableKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

/** `public.users`, `public."Weird Name"`: each part quoted unless it is a plain lower-case identifier. */
export function displayTable(schema: string, name: string): string {
  const part = (id: string) => (/^[a-z_][a-z0-9_$]*$/.test(id) ? id : `"${id.replace(/"/g, '""')}"`);
  return schema === '' ? part(name) : `${part(schema)}.${part(name)}`;
}

/**
 * Counts the rows of every `COPY … FROM stdin` block in a pg_dump script read from `input`.
 * Rejects with BACKUP_INVALID when the input ends inside a data block (a truncated dump).
 */
export async function countCopyRows(
  input: NodeJS.ReadableStream | Readable | AsyncIterable<Buffer>,
  options: CountOptions = {},
): Promise<CopyCounts> {
  const { signal, onBytes } = options;
  await loadParser();
  const interrupted = () => new PgwardenError('INTERRUPTED', 'counting the rows of the dump was interrupted');
  if (signal?.aborted) throw interrupted();
  const stop = () => (input as Partial<Readable>).destroy?.();
  signal?.addEventListener('abort', stop, { once: true });
  const counter = new CopyCounter();
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      if (signal?.aborted) break;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      counter.push(bytes);
      onBytes?.(counter.bytes);
    }
  } catch (error) {
    if (signal?.aborted) throw interrupted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  if (signal?.aborted) throw interrupted();
  return counter.finish();
}

const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const DASH = 0x2d;

/**
 * SQL kept to decide whether a line is at top level (one TOC entry, normally small); beyond this
 * the counter stops tracking and takes the next line as top level.
 */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** A COPY statement split over lines is scanned on each line until it ends; give up beyond this. */
const MAX_COPY_STATEMENT_BYTES = 1024 * 1024;

const TRAILER = '-- PostgreSQL database dump complete';
const LARGE_OBJECT_TYPES = ['BLOB', 'BLOBS', 'BLOB METADATA', 'LARGE OBJECT'];

type ScanResult = 'complete' | 'incomplete';

/**
 * Reads a pg_dump script as lines of SQL and `COPY … FROM stdin` data blocks: a subclass handles
 * each SQL line (`sqlLine`) and starts a data block (`startCopy`) when it has seen a COPY; the
 * rows of the block are then counted here, in a hot loop that only looks for the `\.` line, and
 * handed on unchanged (`copyData`). Constant memory: a line longer than `maxLineBytes` reaches
 * `sqlLine` as `undefined`.
 */
export abstract class CopyScriptReader {
  /** Bytes read. */
  bytes = 0;
  protected readonly tables: TableRows[] = [];
  /** Lines consumed so far (for messages). */
  protected line = 0;
  /** The data block being read, if any. */
  protected copy: TableRows | undefined;
  /** In a data block: the first bytes of a row that continues in the next chunk. */
  private readonly partial = Buffer.alloc(4);
  /** Length of that partial row, capped at 4 (longer rows cannot be the terminator). */
  private partialLength = 0;

  /** Outside data: pieces of the current line. */
  private lineParts: Buffer[] = [];
  private lineLength = 0;
  private lineOverflow = false;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let position = 0;
    while (position < chunk.length) {
      if (this.copy) {
        const start = position;
        position = this.countRows(chunk, position);
        this.copyData(chunk.subarray(start, position));
        continue;
      }
      const newline = chunk.indexOf(LF, position);
      if (newline === -1) {
        this.addLinePart(chunk.subarray(position));
        break;
      }
      this.addLinePart(chunk.subarray(position, newline));
      position = newline + 1;
      this.sqlLine(this.takeLine());
    }
  }

  /**
   * One line of SQL as read, without its LF but with a CR before it if there was one; `undefined`
   * for a line longer than `maxLineBytes`.
   */
  protected abstract sqlLine(line: Buffer | undefined): void;

  /** Bytes of a data block (rows and the terminator line), as they were read. */
  protected copyData(_data: Buffer): void {}

  /**
   * The end of the input: the last line if it had no line end, and a data block must have ended.
   * Throws BACKUP_INVALID when the input ends inside a data block (a truncated dump).
   */
  protected endInput(): void {
    if (!this.copy && (this.lineLength > 0 || this.lineOverflow)) this.sqlLine(this.takeLine());
    if (!this.copy) return;
    // a last row without a newline: only a bare terminator ends the block properly
    const length = this.partialLength;
    const last = this.partial;
    const isEnd =
      (length === 2 || (length === 3 && last[2] === CR)) && last[0] === BACKSLASH && last[1] === DOT;
    if (!isEnd) {
      const table = this.copy;
      throw new PgwardenError(
        'BACKUP_INVALID',
        `the dump ends inside the data of ${displayTable(table.schema, table.name)} (truncated) after ${table.rows} complete rows, at line ${this.line + table.rows + 1}`,
        {
          hint: 'The dump was cut short (an interrupted pg_dump, a full disk or a partial copy); use another backup.',
          details: { schema: table.schema, table: table.name, rows: table.rows },
        },
      );
    }
    this.endCopy();
  }

  /**
   * The hot loop: counts newline-terminated rows from `start` until the `\.` line (returns the
   * position after it) or the end of the chunk (returns its length).
   */
  protected countRows(chunk: Buffer, start: number): number {
    const table = this.copy!;
    let rows = 0;
    let position = start;
    for (;;) {
      const newline = chunk.indexOf(LF, position);
      if (newline === -1) {
        for (let i = position; i < chunk.length && this.partialLength < 4; i++) {
          this.partial[this.partialLength++] = chunk[i]!;
        }
        table.rows += rows;
        return chunk.length;
      }
      let isEnd: boolean;
      if (this.partialLength === 0) {
        const length = newline - position;
        isEnd =
          (length === 2 || (length === 3 && chunk[position + 2] === CR)) &&
          chunk[position] === BACKSLASH &&
          chunk[position + 1] === DOT;
      } else {
        isEnd = this.partialIsEnd(chunk, position, newline);
        this.partialLength = 0;
      }
      position = newline + 1;
      if (isEnd) {
        table.rows += rows;
        this.endCopy();
        return position;
      }
      rows++;
    }
  }

  /** Whether the partial row plus `chunk[from, to)` is exactly `\.` (or `\.\r`). */
  private partialIsEnd(chunk: Buffer, from: number, to: number): boolean {
    const length = this.partialLength + (to - from);
    if (length !== 2 && length !== 3) return false;
    const line = Buffer.concat([this.partial.subarray(0, this.partialLength), chunk.subarray(from, to)]);
    return line[0] === BACKSLASH && line[1] === DOT && (length === 2 || line[2] === CR);
  }

  private endCopy(): void {
    this.line += this.copy!.rows + 1;
    this.copy = undefined;
    this.partialLength = 0;
  }

  private addLinePart(part: Buffer): void {
    if (part.length === 0) return;
    if (this.lineLength + part.length > this.maxLineBytes) {
      this.lineOverflow = true;
      return;
    }
    this.lineParts.push(Buffer.from(part)); // a copy: the chunk may be reused by its producer
    this.lineLength += part.length;
  }

  private takeLine(): Buffer | undefined {
    const parts = this.lineParts;
    const overflow = this.lineOverflow;
    this.lineParts = [];
    this.lineLength = 0;
    this.lineOverflow = false;
    this.line++;
    if (overflow) return undefined;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * A data block follows a `COPY table … FROM stdin` (not COPY TO, from a file or a program).
   * Throws BACKUP_FOREIGN for data in another format than text (rows are not lines then).
   */
  protected startCopy(copy: any): void {
    if (!copy?.relation || !copy.is_from || copy.filename !== undefined || copy.is_program) return;
    const schema: string = copy.relation.schemaname ?? '';
    const name: string = copy.relation.relname;
    const format = (copy.options ?? [])
      .map((option: any) => option.DefElem)
      .find((option: any) => option?.defname === 'format')?.arg?.String?.sval;
    if (format !== undefined && format !== 'text') {
      throw new PgwardenError(
        'BACKUP_FOREIGN',
        `line ${this.line}: the data of ${displayTable(schema, name)} is in ${format} format; rows can only be counted in the text format pg_dump writes`,
        { hint: 'Restore this script with psql, or take a new backup with pg_dump.' },
      );
    }
    const table: TableRows = { schema, name, rows: 0 };
    this.tables.push(table);
    this.copy = table;
    this.partialLength = 0;
  }
}

class CopyCounter extends CopyScriptReader {
  private complete = false;
  private largeObjects = false;
  private connects = false;

  /** Outside data: SQL lines since the last point known to be at top level (the current TOC entry). */
  private statement: Buffer[] = [];
  private statementLength = 0;
  /** The pending text began with a COPY line split over lines: scanned on each line until it ends. */
  private statementIsCopy = false;
  /** The previous SQL line was exactly `--` (the first line of a TOC entry comment). */
  private afterDashes = false;

  constructor() {
    super(MAX_PENDING_BYTES);
  }

  finish(): CopyCounts {
    this.endInput();
    return {
      tables: this.tables,
      complete: this.complete,
      largeObjects: this.largeObjects,
      connects: this.connects,
      bytes: this.bytes,
    };
  }

  /** One line of SQL text; `undefined` for a line too long to track. */
  protected sqlLine(raw: Buffer | undefined): void {
    const line = raw !== undefined && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    const afterDashes = this.afterDashes;
    this.afterDashes = line !== undefined && line.length === 2 && line[0] === DASH && line[1] === DASH;
    if (line === undefined) {
      this.resetStatement(); // lost track: resynchronise at the next line
      return;
    }
    if (afterDashes && isTocEntryComment(line)) {
      // pg_dump starts every TOC entry with this comment, at top level
      this.resetStatement();
      this.tocEntryComment(line);
      return;
    }
    if (this.statementLength > 0 && this.needsTopLevel(line)) {
      // does the pending text end at a statement boundary? Then this line is at top level.
      if (this.scanStatement() === 'complete') {
        // a COPY FROM stdin that ended just now makes this line its first row
        if (this.copy) this.countRows(Buffer.concat([line, NEWLINE]), 0);
        else this.topLevelLine(line);
        return;
      }
    } else if (this.statementLength === 0) {
      this.topLevelLine(line);
      return;
    }
    this.appendLine(line);
  }

  /** A line known to be at top level, with no SQL pending. */
  private topLevelLine(line: Buffer): void {
    if (isBlank(line)) return;
    if (line[0] === DASH && line[1] === DASH) {
      if (isTrailer(line)) this.complete = true;
      return;
    }
    if (line[0] === BACKSLASH) {
      this.metaCommand(line);
      return;
    }
    if (startsWithCopy(line)) {
      // the usual case: a whole COPY statement on one line
      const parsed = parseSql(line.toString('utf8'));
      if (!('error' in parsed) && parsed.stmts.length === 1 && parsed.stmts[0]!.stmt.CopyStmt) {
        this.startCopy(parsed.stmts[0]!.stmt.CopyStmt);
        return;
      }
      this.appendLine(line);
      this.statementIsCopy = true; // a quoted name holding a newline, or an error: scan line by line
      this.scanStatement();
      return;
    }
    this.appendLine(line);
    if (!this.largeObjects && line.includes('lo_open')) this.scanStatement();
  }

  private appendLine(line: Buffer): void {
    this.statement.push(line, NEWLINE);
    this.statementLength += line.length + 1;
    if (this.statementLength > MAX_PENDING_BYTES) {
      this.resetStatement();
    } else if (this.statementIsCopy) {
      if (this.statementLength > MAX_COPY_STATEMENT_BYTES) this.resetStatement();
      else this.scanStatement();
    }
  }

  /** Lines whose meaning depends on being at top level: worth a scan of the pending text. */
  private needsTopLevel(line: Buffer): boolean {
    if (line[0] === BACKSLASH || startsWithCopy(line) || isTrailer(line)) return true;
    return !this.largeObjects && line.includes('lo_open');
  }

  /** pg_dump's TOC entry comment: large objects show up as BLOB / BLOBS / LARGE OBJECT entries. */
  private tocEntryComment(line: Buffer): void {
    if (isLargeObjectEntry(line)) this.largeObjects = true;
  }

  /** psql meta-commands at top level: `\connect` (or `\c`) switches databases. */
  private metaCommand(line: Buffer): void {
    const command = line.toString('utf8', 1, Math.min(line.length, 64)).split(/[ \t]/, 1)[0];
    if (command === 'connect' || command === 'c') this.connects = true;
  }

  /**
   * Scans the pending statement text with PostgreSQL's scanner. Complete when it lexes and its
   * last token is a `;` outside parentheses and BEGIN ATOMIC bodies; then a final COPY … FROM
   * stdin starts a data block.
   */
  private scanStatement(): ScanResult {
    const buffer = this.statement.length === 1 ? this.statement[0]! : Buffer.concat(this.statement);
    const tokens = scanSql(buffer.toString('utf8'));
    if (tokens === undefined) return 'incomplete'; // inside a literal, quoted name or comment
    let depth = 0;
    let atomic = 0;
    let previous: Token | undefined;
    let statementStart: Token | undefined;
    let lastStatementStart: Token | undefined;
    let endsStatement = false;
    for (const token of tokens) {
      if (token.name === 'SQL_COMMENT' || token.name === 'C_COMMENT') continue;
      const upper = token.text.toUpperCase();
      statementStart ??= token;
      endsStatement = false;
      if (token.text === '(') {
        depth++;
        // a call of lo_open (pg_dump restores large-object data with lo_open/lowrite/lo_close)
        if (previous?.name === 'IDENT' && previous.text.toLowerCase() === 'lo_open') this.largeObjects = true;
      } else if (token.text === ')') depth = Math.max(0, depth - 1);
      else if (upper === 'ATOMIC' && previous?.text.toUpperCase() === 'BEGIN') atomic++;
      else if (atomic > 0 && upper === 'CASE') atomic++;
      else if (atomic > 0 && upper === 'END') atomic--;
      else if (token.text === ';' && depth === 0 && atomic === 0) {
        endsStatement = true;
        lastStatementStart = statementStart;
        statementStart = undefined;
      }
      previous = token;
    }
    if (previous === undefined) {
      // only comments and blank lines: nothing to wait for
      this.resetStatement();
      return 'complete';
    }
    if (!endsStatement) return 'incomplete';
    this.resetStatement();
    const last = lastStatementStart!;
    if (last.text.toUpperCase() === 'COPY') this.copyStatement(buffer.subarray(last.start).toString('utf8'));
    return 'complete';
  }

  private resetStatement(): void {
    this.statement = [];
    this.statementLength = 0;
    this.statementIsCopy = false;
  }

  /** A complete COPY statement found by the scanner (it may span lines). */
  private copyStatement(text: string): void {
    const parsed = parseSql(text);
    if ('error' in parsed) {
      throw new PgwardenError(
        'BACKUP_INVALID',
        `line ${this.line}: cannot parse the COPY statement ending here (${parsed.error.message}): ${text.trim().slice(0, 200)}`,
        { hint: 'The dump is damaged or was not written by pg_dump; use another backup.' },
      );
    }
    const copy = parsed.stmts.at(-1)?.stmt.CopyStmt;
    if (copy) this.startCopy(copy);
  }
}

const NEWLINE = Buffer.from('\n');

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

/** "COPY" (any case) followed by white space or the line end: a trigger to look closer, not a parse. */
function startsWithCopy(line: Buffer): boolean {
  if (line.length < 4) return false;
  const word = line.toString('latin1', 0, 4).toUpperCase();
  const next = line[4];
  return word === 'COPY' && (next === undefined || next === 0x20 || next === 0x09);
}

/** `-- Name: …; Type: …` or `-- Data for Name: …; Type: …`: pg_dump's comment before each TOC entry. */
export function isTocEntryComment(line: Buffer): boolean {
  const text = line.toString('utf8', 0, Math.min(line.length, 4096));
  return (text.startsWith('-- Name: ') || text.startsWith('-- Data for Name: ')) && text.includes('; Type: ');
}

/** A TOC entry comment of large-object data (BLOB / BLOBS / BLOB METADATA / LARGE OBJECT). */
export function isLargeObjectEntry(line: Buffer): boolean {
  const text = line.toString('utf8', 0, Math.min(line.length, 4096));
  return LARGE_OBJECT_TYPES.some((type) => text.includes(`; Type: ${type}; `));
}

/** pg_dump's last comment line: `-- PostgreSQL database dump complete` (trailing blanks allowed). */
export function isTrailer(line: Buffer): boolean {
  return (
    line[0] === DASH &&
    line.length >= TRAILER.length &&
    line.length <= TRAILER.length + 4 &&
    line.toString('utf8').trimEnd() === TRAILER
  );
}
