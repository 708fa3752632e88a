/**
 * sql-migrate (rubenv/sql-migrate v1, CLI and library, read at its master with go-gorp/gorp v3;
 * the checksum column proposed in its pull request #275 is not part of it): any `*.sql` file of
 * the folder is a migration whose id is its file name, split into sections by `-- +migrate Up` /
 * `-- +migrate Down` lines, recorded as one row per applied file in
 * `gorp_migrations(id text primary key, applied_at timestamp with time zone)`.
 *
 * Read from sql-migrate's source (migrate.go, sqlparse/sqlparse.go, sql-migrate/config.go and
 * command_new.go) and gorp's (table.go, dialect_postgres.go):
 * - findMigrations: every entry of the folder (not its subfolders) whose name ends with `.sql`,
 *   case-sensitive, dot-files included; the id is the whole file name (`1_init.sql`).
 * - Order (`byId`): a name that starts with digits (`^(\d+).*$`) has that number as its version
 *   (ParseInt to int64: a larger number makes sql-migrate panic, refused here); numbered files
 *   come first, by version, and by name (byte order) for equal versions; the others follow, by
 *   name. So `2_b.sql` comes before `10_a.sql`. `sql-migrate new` names files
 *   `<YYYYMMDDHHMMSS>-<name>.sql` (local time) with an empty Up and Down section.
 * - ParseMigration reads the file line by line (bufio.Scanner: lines split at `\n`, one trailing
 *   `\r` dropped, a line of 1 MiB or more is an error). A line starting with `-- ` but not
 *   `-- +` is skipped whole. A line starting with `-- +migrate ` is a command: its first word
 *   (Go's strings.Fields) `Up` or `Down` starts that direction's section, `notransaction` among
 *   the following words turns the transaction off for that direction (for the whole file);
 *   `StatementBegin` / `StatementEnd` (only inside a section) make semicolons not end
 *   statements until the end line, which ends the statement; other words are ignored, no word
 *   at all is an error ("incomplete migration command"). Lines before the first Up/Down line
 *   are ignored (SQL there is never run: pgwarden warns). Other lines starting with `-- +` are
 *   dropped; every other line is appended to the current statement, which ends after a line
 *   whose last word before a word starting with `--` ends with `;` (endsWithSemicolon).
 *   Up and Down may come several times (the sections of a direction are joined). Refused by
 *   sql-migrate, and so here: an Up/Down line while a statement has not ended, a StatementBegin
 *   without StatementEnd, a file without any Up/Down line, and an unended last statement (an
 *   indented comment or `--comment` counts as statement text, so it must not end a section).
 * - applyMigrations: each migration in one transaction (statements sent one Exec each, then the
 *   INSERT of the row, then COMMIT); with `notransaction` the statements and the INSERT each run
 *   on their own, so a failure leaves the statements before it applied and no row. A rollback
 *   runs the Down statements and deletes the row, the same way. sql-migrate takes no lock.
 * - The table: `create table if not exists "gorp_migrations" ("id" text not null primary key,
 *   "applied_at" timestamp with time zone)`, unqualified (the connection's current schema);
 *   dbconfig.yml `table` renames it (pgwarden: `migrations.table`), `schema` qualifies it and
 *   creates the schema first (`create schema if not exists`; the schema name is not quoted, so
 *   PostgreSQL folds it to lower case: give `migrations.table` the folded name). Applying
 *   inserts (id, applied_at = time.Now() on the client, after the statements); the rows are read
 *   with `SELECT *` and sorted by id as above.
 *
 * pgwarden runs what sql-migrate runs, with these differences:
 * - Statements are split by PostgreSQL's grammar, not by sql-migrate's line rule. Where the two
 *   agree (the rule's purpose), nothing differs. Where a line ending in `;` lies inside a string
 *   or a dollar-quoted body outside StatementBegin/End, sql-migrate sends broken pieces and fails;
 *   pgwarden runs the statement. Statements that sql-migrate sends together in one Exec (two on
 *   one line, a StatementBegin block holding several) run one by one here; with `notransaction`
 *   sql-migrate's Exec of several statements is one implicit transaction, in which CREATE INDEX
 *   CONCURRENTLY fails. The `-- ` comment lines sql-migrate drops stay in the text pgwarden sends
 *   (they are comments to PostgreSQL too, except inside a string or a dollar-quoted body).
 * - A line that looks like a marker but that sql-migrate does not take for one (`-- +migrate up`,
 *   an indented or unspaced `--+migrate Down`) is refused: sql-migrate would run the lines after
 *   it as part of the section before it (a down section run as up).
 * - A file with a UTF-8 byte order mark before a marker on its first line is refused: sql-migrate
 *   reads the mark as part of the line and misses the marker.
 * - A file without Down section has no down script: pgwarden refuses to roll it back, where
 *   sql-migrate would delete its row and run nothing.
 * - A pending migration that sorts before the newest applied one is run by sql-migrate
 *   (ToCatchup); pgwarden refuses it unless `--allow-out-of-order`, as for every format.
 */
import { join } from 'node:path';
import { checksumOf } from '../checksum.js';
import type {
  HistoryAdapter,
  HistoryContext,
  Migration,
  MigrationFormat,
  MigrationScript,
} from '../types.js';
import {
  compareUtf8,
  deleteHistoryRow,
  detectTable,
  fileError,
  fileNames,
  goTrimSpace,
  ident,
  isCharacterType,
  listDirectory,
  query,
  readText,
  resolveTable,
  schemaExists,
  someSqlFile,
  startsWithBom,
  type TableRef,
  tableColumns,
} from './shared.js';

export const SQL_MIGRATE_TABLE = 'gorp_migrations';

/** sqlparse.go's sqlCmdPrefix. */
const COMMAND_PREFIX = '-- +migrate ';
const COMMANDS = ['Up', 'Down', 'StatementBegin', 'StatementEnd'] as const;
/** ParseMigration's scanner buffer: a line must fit in it with its newline. */
const MAX_LINE_BYTES = 1024 * 1024;
/** migrate.go numberPrefixRegex (RE2: `\d` is ASCII, `.` stops at a newline, `$` is the end). */
const NUMBER_PREFIX = /^(\d+)[^\n]*$/;
const MAX_INT64 = 2n ** 63n - 1n;
/** A line that looks like one of sql-migrate's commands, however spelt: checked against the real rule. */
const LOOKS_LIKE_COMMAND = /^\s*--\s*\+\s*migrate(?![\w-])\s*(\S*)/i;

type Direction = 'up' | 'down';

/** A part of the file, by character offsets. */
export interface SqlMigrateSpan {
  start: number;
  end: number;
}

/** A file as sql-migrate's ParseMigration reads it. */
export interface SqlMigrateFile {
  /** The statements sql-migrate sends, each as it collects it (lines with their `\n`). */
  up: string[];
  down: string[];
  /** `notransaction` on an Up (Down) line. */
  upNoTransaction: boolean;
  downNoTransaction: boolean;
  /** The sections of each direction, from their marker line to the next marker line or the end. */
  upSections: SqlMigrateSpan[];
  downSections: SqlMigrateSpan[];
  /** 1-based lines before the first Up/Down line that are neither blank nor `--` comments. */
  ignoredLines: number[];
}

/** Why a file is refused, with the 1-based line it is about and what to do. */
export class SqlMigrateParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Go's strings.Fields (and bufio.ScanWords): the words between runs of unicode.IsSpace. */
function goFields(text: string): string[] {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const space = i === text.length || goTrimSpace(text[i]!) === '';
    if (!space && start < 0) start = i;
    if (space && start >= 0) {
      fields.push(text.slice(start, i));
      start = -1;
    }
  }
  return fields;
}

/** sqlparse.go endsWithSemicolon: the last word before one starting with `--` ends with `;`. */
function endsStatement(line: string): boolean {
  let last = '';
  for (const word of goFields(line)) {
    if (word.startsWith('--')) break;
    last = word;
  }
  return last.endsWith(';');
}

/** The command sql-migrate reads on `line`, if it reads one. */
function commandOf(line: string): string[] | undefined {
  return line.startsWith(COMMAND_PREFIX) ? goFields(line.slice(COMMAND_PREFIX.length)) : undefined;
}

/**
 * Refuses a line that is meant as one of the four commands but that sql-migrate does not read as
 * that command (wrong case, indented, no space after `--` or before the command); `open` is the
 * section the line stands in, if any.
 */
function checkMarkerSpelling(line: string, number: number, open: Direction | undefined): void {
  const word = LOOKS_LIKE_COMMAND.exec(line)?.[1];
  if (word === undefined) return;
  const meant = COMMANDS.find((command) => command.toLowerCase() === word.toLowerCase());
  if (meant === undefined || commandOf(line)?.[0] === meant) return;
  const section = meant === 'Up' ? 'an up' : 'a down';
  const effect =
    meant === 'Up' || meant === 'Down'
      ? `does not start ${section} section there: ${open ? `the lines after it would run as part of the ${open} section before it` : 'it would ignore the lines after it, up to the next marker'}`
      : `does not ${meant === 'StatementBegin' ? 'begin' : 'end'} a statement block there, so it would cut statements at other places`;
  throw new SqlMigrateParseError(
    number,
    `"${line.trim()}" is not a marker sql-migrate reads; it ${effect}`,
    `Write it as \`-- +migrate ${meant}\`: at the start of the line, one space after \`--\` and after \`+migrate\`, with this capitalisation.`,
  );
}

function unended(from: number, before: string): SqlMigrateParseError {
  return new SqlMigrateParseError(
    from,
    `the statement that starts here does not end ${before}: sql-migrate ends a statement only at a \`;\` that is the last word of a line (before any \`--\` comment) or at \`-- +migrate StatementEnd\`, and refuses the file ("The last statement must be ended by a semicolon or '-- +migrate StatementEnd' marker")`,
    'End the statement with `;` at the end of its line, or put it between `-- +migrate StatementBegin` and `-- +migrate StatementEnd`. An indented comment, or one without a space after `--`, counts as statement text: start such comments at the beginning of the line with `-- `.',
  );
}

/** Splits a sql-migrate file as sqlparse.go's ParseMigration does, refusing what it refuses. */
export function parseSqlMigrateFile(text: string): SqlMigrateFile {
  const file: SqlMigrateFile = {
    up: [],
    down: [],
    upNoTransaction: false,
    downNoTransaction: false,
    upSections: [],
    downSections: [],
    ignoredLines: [],
  };
  const markers: { direction: Direction; start: number }[] = [];
  let direction: Direction | undefined;
  let statement = '';
  let statementLine = 0;
  let inBlock = false;
  let blockLine = 0;
  let blockEnded = false;
  let number = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const raw = text.slice(start, end);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineStart = start;
    start = end + 1;
    number++;
    if (Buffer.byteLength(raw) + 1 > MAX_LINE_BYTES) {
      throw new SqlMigrateParseError(
        number,
        'is 1 MiB long or longer: sql-migrate cannot read the file ("bufio.Scanner: token too long")',
        'Break the line up.',
      );
    }
    checkMarkerSpelling(line, number, direction);
    if (line.startsWith('-- ') && !line.startsWith('-- +')) continue;
    const command = commandOf(line);
    if (command?.length === 0) {
      throw new SqlMigrateParseError(
        number,
        '`-- +migrate` without a command: sql-migrate refuses the file ("incomplete migration command")',
        'Write `-- +migrate Up`, `-- +migrate Down`, `-- +migrate StatementBegin` or `-- +migrate StatementEnd`.',
      );
    }
    const [word, ...options] = command ?? [];
    if (word === 'Up' || word === 'Down') {
      if (goTrimSpace(statement) !== '') throw unended(statementLine, `before \`${line}\` on line ${number}`);
      direction = word === 'Up' ? 'up' : 'down';
      if (options.includes('notransaction')) file[`${direction}NoTransaction`] = true;
      markers.push({ direction, start: lineStart });
    } else if (word === 'StatementBegin' && direction) {
      inBlock = true;
      blockLine = number;
    } else if (word === 'StatementEnd' && direction) {
      blockEnded = inBlock;
      inBlock = false;
    }
    if (!direction) {
      if (goTrimSpace(line) !== '' && !line.trimStart().startsWith('--')) file.ignoredLines.push(number);
      continue;
    }
    if (!line.startsWith('-- +')) {
      if (goTrimSpace(statement) === '' && goTrimSpace(line) !== '') statementLine = number;
      statement += `${line}\n`;
    }
    if ((!inBlock && endsStatement(line)) || blockEnded) {
      blockEnded = false;
      file[direction].push(statement);
      statement = '';
    }
  }
  if (inBlock) {
    throw new SqlMigrateParseError(
      blockLine,
      '`-- +migrate StatementBegin` has no `-- +migrate StatementEnd` after it: sql-migrate refuses the file',
      'Add `-- +migrate StatementEnd` on the line after the statement.',
    );
  }
  if (!direction) {
    throw new SqlMigrateParseError(
      1,
      'has no `-- +migrate Up` or `-- +migrate Down` line: sql-migrate refuses the file ("no Up/Down annotations found")',
      'Put the migration after a line `-- +migrate Up` and its rollback after a line `-- +migrate Down`, each at the start of its line.',
    );
  }
  if (goTrimSpace(statement) !== '') throw unended(statementLine, 'before the end of the file');
  markers.forEach((marker, i) => {
    const span = { start: marker.start, end: markers[i + 1]?.start ?? text.length };
    file[`${marker.direction}Sections`].push(span);
  });
  return file;
}

/**
 * The script of one direction: the file from its first section to the end of its last one, the
 * other direction's sections in between blanked out (newlines kept), so offsets and lines stay
 * the file's.
 */
function sectionScript(
  path: string,
  text: string,
  sections: readonly SqlMigrateSpan[],
  others: readonly SqlMigrateSpan[],
  noTransaction: boolean,
): MigrationScript | undefined {
  const first = sections[0];
  const last = sections.at(-1);
  if (!first || !last) return undefined;
  let body = text.slice(first.start, last.end);
  for (const other of others) {
    if (other.start < first.start || other.end > last.end) continue;
    const from = other.start - first.start;
    const to = other.end - first.start;
    body = body.slice(0, from) + body.slice(from, to).replace(/[^\r\n]/g, ' ') + body.slice(to);
  }
  return { path, text: body, offset: first.start, ...(noTransaction ? { transaction: false } : {}) };
}

/** The version sql-migrate reads from a file name (its leading digits), if it has one. */
function versionOf(id: string): bigint | undefined {
  const digits = NUMBER_PREFIX.exec(id)?.[1];
  return digits === undefined ? undefined : BigInt(digits);
}

/** migrate.go Migration.Less: numbered ids first, by version, then by id; then the others, by id. */
export function compareSqlMigrateIds(a: string, b: string): number {
  const x = versionOf(a);
  const y = versionOf(b);
  if (x !== undefined && y !== undefined && x !== y) return x < y ? -1 : 1;
  if (x !== undefined && y === undefined) return -1;
  if (x === undefined && y !== undefined) return 1;
  return compareUtf8(a, b);
}

function readSqlMigrate(dir: string, warn: (message: string) => void = () => {}): Migration[] {
  const files = fileNames(listDirectory(dir)).filter((file) => file.endsWith('.sql'));
  for (const file of files) {
    const version = versionOf(file);
    if (version !== undefined && version > MAX_INT64) {
      throw fileError(
        dir,
        file,
        `its number ${version} does not fit in a 64-bit integer: sql-migrate cannot order it (it panics comparing it with another numbered file)`,
        'Use a smaller number (sql-migrate numbers 1_, 2_, … or uses a YYYYMMDDHHMMSS timestamp).',
      );
    }
  }
  files.sort(compareSqlMigrateIds);
  return files.map((file) => {
    const path = join(dir, file);
    const text = readText(dir, file);
    const firstWord = commandOf(text.split('\n', 1)[0]!.replace(/\r$/, ''))?.[0];
    if ((firstWord === 'Up' || firstWord === 'Down') && startsWithBom(dir, file)) {
      throw fileError(
        dir,
        file,
        'line 1: the file starts with a UTF-8 byte order mark, which sql-migrate reads as part of the first line, so it does not see the marker there',
        'Save the file as UTF-8 without BOM.',
      );
    }
    let parsed: SqlMigrateFile;
    try {
      parsed = parseSqlMigrateFile(text);
    } catch (error) {
      if (error instanceof SqlMigrateParseError) {
        throw fileError(dir, file, `line ${error.line}: ${error.message}`, error.hint);
      }
      throw error;
    }
    const lines = parsed.ignoredLines;
    if (lines.length > 0) {
      const where = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(', ')}`;
      warn(
        `${file}: ${where} come${lines.length === 1 ? 's' : ''} before the first \`-- +migrate Up\`/\`Down\` line; sql-migrate ignores ${lines.length === 1 ? 'it' : 'them'}, and so does pgwarden`,
      );
    }
    const up = sectionScript(path, text, parsed.upSections, parsed.downSections, parsed.upNoTransaction);
    if (!up) {
      warn(
        `${file}: has no \`-- +migrate Up\` section; sql-migrate records it as applied without running anything, and so does pgwarden`,
      );
    }
    const down = sectionScript(path, text, parsed.downSections, parsed.upSections, parsed.downNoTransaction);
    const upScript = up ?? { path, text: '', offset: 0 };
    return {
      id: file,
      name: file.slice(0, -'.sql'.length).replace(/^\d+[_-]?/, ''),
      path: file,
      up: upScript,
      ...(down ? { down } : {}),
      checksum: checksumOf(upScript.text),
    };
  });
}

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, SQL_MIGRATE_TABLE);
}

/** The columns sql-migrate's MigrationRecord maps (`checksum`: the unreleased checksum work, kept NULL). */
const COLUMNS = new Set(['id', 'applied_at', 'checksum']);

export const sqlMigrateHistory: HistoryAdapter = {
  async detect(ctx) {
    const columns = (await detectTable(ctx, table))?.columns;
    return (
      columns !== undefined &&
      isCharacterType(columns.get('id')) &&
      /^timestamp/.test(columns.get('applied_at') ?? '') &&
      [...columns.keys()].every((column) => COLUMNS.has(column))
    );
  },

  async read(ctx) {
    const ref = await table(ctx);
    if (!(await tableColumns(ctx.client, ref))) return { exists: false, table: ref.display, applied: [] };
    const result = await query<{ id: string; applied_at: Date | null }>(
      ctx.client,
      `SELECT id, applied_at FROM ${ref.sql}`,
      [],
      `${ref.display}: cannot read sql-migrate's migration history`,
    );
    const rows = result.rows.sort((a, b) => compareSqlMigrateIds(a.id, b.id));
    return {
      exists: true,
      table: ref.display,
      applied: rows.map((row) => ({
        id: row.id,
        ...(row.applied_at ? { appliedAt: row.applied_at } : {}),
        state: 'applied' as const,
      })),
    };
  },

  async ensure(ctx) {
    const ref = await table(ctx);
    const what = `${ref.display}: cannot create sql-migrate's migration history table`;
    // gorp creates the schema (if not exists) only when one is configured; an unconfigured one is
    // current_schema(), which exists. Checking first avoids needing CREATE on the database.
    if (!(await schemaExists(ctx.client, ref.schema, what))) {
      await query(ctx.client, `CREATE SCHEMA IF NOT EXISTS ${ident(ref.schema)}`, [], what);
    }
    await query(
      ctx.client,
      `CREATE TABLE IF NOT EXISTS ${ref.sql} ("id" text NOT NULL PRIMARY KEY, "applied_at" timestamp with time zone)`,
      [],
      what,
    );
  },

  /** gorp's Insert of the MigrationRecord: the id and the client's clock, after the statements ran. */
  async markApplied(ctx, migration) {
    const ref = await table(ctx);
    await query(
      ctx.client,
      `INSERT INTO ${ref.sql} ("id", "applied_at") VALUES ($1, $2)`,
      [migration.id, new Date()],
      `${ref.display}: cannot record ${migration.id} as applied`,
    );
  },

  /** gorp's Delete of the MigrationRecord, by its key. */
  async markRolledBack(ctx, migration) {
    await deleteHistoryRow(ctx.client, await table(ctx), '"id"', migration.id);
  },
};

export const sqlMigrateFormat: MigrationFormat = {
  id: 'sql-migrate',
  title: 'sql-migrate',
  hasDown: true,
  detectFolder(dir) {
    return someSqlFile(
      dir,
      (text) =>
        text.includes(COMMAND_PREFIX) &&
        text.split('\n').some((line) => {
          const word = commandOf(line.replace(/\r$/, ''))?.[0];
          return word === 'Up' || word === 'Down';
        }),
    )
      ? 2
      : 0;
  },
  read: readSqlMigrate,
  history: sqlMigrateHistory,
};
