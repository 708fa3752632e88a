/**
 * dbmate (2.36): `<digits>_name.sql` files with a `-- migrate:up` and a `-- migrate:down` section,
 * applied in file-name order (byte order, not numeric), recorded as one row per version in
 * `schema_migrations(version varchar primary key)`.
 *
 * The file is split exactly as dbmate's pkg/dbmate/migration.go does: the directives are found with
 * dbmate's own patterns (Go's `\s` is `[\t\n\f\r ]`, `^` is the start of the text or of a line);
 * only blank and `--` comment lines may precede the first `-- migrate:up`; every section runs from
 * one `-- migrate:up` to the next and needs exactly one `-- migrate:down`; a block runs from its
 * directive (included — dbmate sends the directive line along) to the next directive; options are
 * `key:value` words on the directive line, `transaction:false` turning the transaction off.
 * A file with several sections is refused although dbmate parses it: dbmate 2.36 inserts the
 * version once per section, so on PostgreSQL the second section fails with a duplicate key. The
 * table is created as dbmate 2.36 creates it (`version varchar`, no length; older READMEs show 255).
 */
import { join } from 'node:path';
import { lineMapper } from '../../sql/lines.js';
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

/** dbmate's migrationFileRegexp. */
const MIGRATION_FILE = /^(\d+).*\.sql$/;

/** Go RE2's `\s`. */
const GO_SPACE = '[\\t\\n\\f\\r ]';
/**
 * `(?m)^--\s*migrate:<dir>(\s*$|\s+\S+)`: a directive at a line start. The tail matches exactly
 * when the directive is followed by white space or by the end of the text.
 */
const directive = (dir: 'up' | 'down') =>
  new RegExp(`(?:(?<![\\s\\S])|(?<=\\n))--${GO_SPACE}*migrate:${dir}(?=${GO_SPACE}|(?![\\s\\S]))`, 'g');
const BLOCK_DIRECTIVE = new RegExp(`^--${GO_SPACE}*migrate:(up|down)`);
const EMPTY_LINE = new RegExp(`^${GO_SPACE}*$`);
const COMMENT_LINE = new RegExp(`^${GO_SPACE}*--`);
const SPACES = new RegExp(`${GO_SPACE}+`);

export const DBMATE_TABLE = 'schema_migrations';

/** One up/down pair of a dbmate file, with the offsets of both blocks in the file. */
export interface DbmateSection {
  up: string;
  upOffset: number;
  upOptions: Record<string, string>;
  down: string;
  downOffset: number;
  downOptions: Record<string, string>;
}

/** Why dbmate refuses a file, in words that name the line, with what to do about it. */
export class DbmateParseError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function positions(text: string, dir: 'up' | 'down'): number[] {
  return [...text.matchAll(directive(dir))].map((match) => match.index);
}

/** dbmate's parseMigrationOptions: `key:value` words after the directive on its line. */
export function parseDbmateOptions(block: string): Record<string, string> {
  const options: Record<string, string> = {};
  const line = (block.split('\n', 1)[0] ?? '').replace(BLOCK_DIRECTIVE, '').trim();
  if (line === '') return options;
  for (const word of line.split(SPACES)) {
    const pair = word.split(':');
    if (pair.length === 2) options[pair[0]!] = pair[1]!;
  }
  return options;
}

/** Where a directive stands indented (dbmate only sees it at the start of a line): its line, 1-based. */
function indentedDirective(text: string, dir: 'up' | 'down'): number | undefined {
  const match = new RegExp(`^[ \\t]+--\\s*migrate:${dir}\\b`, 'm').exec(text);
  return match ? text.slice(0, match.index).split('\n').length : undefined;
}

/** The sentence for a directive dbmate does not see because it is indented, if it is. */
function indentedNote(text: string, dir: 'up' | 'down', from = 0): string {
  const line = indentedDirective(text.slice(from), dir);
  if (line === undefined) return '';
  const at = text.slice(0, from).split('\n').length - 1 + line;
  return `; '-- migrate:${dir}' is indented on line ${at}: dbmate needs it at the start of the line`;
}

/** Splits a dbmate migration file into its sections, refusing what dbmate 2.36 refuses. */
export function parseDbmateFile(text: string): DbmateSection[] {
  const ups = positions(text, 'up');
  if (ups.length === 0) {
    throw new DbmateParseError(
      `has no '-- migrate:up' line${indentedNote(text, 'up')} (dbmate: "dbmate requires each migration to define an up block with '-- migrate:up'")`,
      'Put the migration after a line `-- migrate:up` and its rollback after a line `-- migrate:down`, each at the start of its line.',
    );
  }
  const before = text.slice(0, ups[0]).split('\n');
  const statementLine = before.findIndex((line) => !EMPTY_LINE.test(line) && !COMMENT_LINE.test(line));
  if (statementLine >= 0) {
    throw new DbmateParseError(
      `line ${statementLine + 1} holds SQL before the '-- migrate:up' line (dbmate: "dbmate does not support statements preceding the '-- migrate:up' block")`,
      'Move that SQL below `-- migrate:up`; only comments and blank lines may come before it.',
    );
  }
  const lineAt = lineMapper({ path: '<migration>', text }); // the whole file: no offset, nothing is read
  const sections: DbmateSection[] = [];
  for (let i = 0; i < ups.length; i++) {
    const start = ups[i]!;
    const end = ups[i + 1] ?? text.length;
    const section = text.slice(start, end);
    const downs = positions(section, 'down');
    if (downs.length > 1) {
      throw new DbmateParseError(
        `has two '-- migrate:down' lines (lines ${lineAt(start + downs[0]!)} and ${lineAt(start + downs[1]!)}) after the '-- migrate:up' on line ${lineAt(start)} (dbmate: "dbmate requires each migration to define an up block with '-- migrate:up'")`,
        'Keep one `-- migrate:down` per `-- migrate:up`.',
      );
    }
    if (downs.length === 0) {
      throw new DbmateParseError(
        `has no '-- migrate:down' line after the '-- migrate:up' on line ${lineAt(start)}${indentedNote(text, 'down', start)} (dbmate 2.36: "dbmate requires each migration to define a down block with '-- migrate:down'")`,
        'Add a `-- migrate:down` line after the up SQL (the down section may be empty).',
      );
    }
    const down = downs[0]!;
    const upBlock = section.slice(0, down);
    const downBlock = section.slice(down);
    sections.push({
      up: upBlock,
      upOffset: start,
      upOptions: parseDbmateOptions(upBlock),
      down: downBlock,
      downOffset: start + down,
      downOptions: parseDbmateOptions(downBlock),
    });
  }
  return sections;
}

function script(
  path: string,
  text: string,
  offset: number,
  options: Record<string, string>,
): MigrationScript {
  // dbmate sends a section as one Exec
  const untransacted = { transaction: false, sentAs: 'one-query' } as const;
  return { path, text, offset, ...(options.transaction === 'false' ? untransacted : {}) };
}

function readDbmate(dir: string): Migration[] {
  const files = fileNames(listDirectory(dir))
    .filter((file) => MIGRATION_FILE.test(file))
    .sort(compareUtf8);
  const byVersion = new Map<string, string>();
  const migrations: Migration[] = [];
  for (const file of files) {
    const version = MIGRATION_FILE.exec(file)![1]!;
    const other = byVersion.get(version);
    if (other !== undefined) {
      throw fileError(
        dir,
        file,
        `has the same version ${version} as ${other}; dbmate records only the version, so applying one marks both as applied`,
        'Give each migration file its own version prefix.',
      );
    }
    byVersion.set(version, file);
    const text = readText(dir, file);
    if (startsWithBom(dir, file)) {
      throw fileError(
        dir,
        file,
        "starts with a UTF-8 byte order mark; dbmate does not remove it, so its first line is neither a comment nor '-- migrate:up' and dbmate refuses the file",
        'Save the file as UTF-8 without BOM.',
      );
    }
    let sections: DbmateSection[];
    try {
      sections = parseDbmateFile(text);
    } catch (error) {
      if (error instanceof DbmateParseError) throw fileError(dir, file, error.message, error.hint);
      throw error;
    }
    if (sections.length > 1) {
      throw fileError(
        dir,
        file,
        `has ${sections.length} '-- migrate:up' sections; dbmate 2.36 inserts the version once per section, so on PostgreSQL the second section fails with a duplicate key in schema_migrations after its SQL has run`,
        'Split the sections into separate migration files, one `-- migrate:up`/`-- migrate:down` pair each.',
      );
    }
    const section = sections[0]!;
    const path = join(dir, file);
    migrations.push({
      id: version,
      name: file.slice(version.length, -'.sql'.length).replace(/^[_-]/, ''),
      path: file,
      up: script(path, section.up, section.upOffset, section.upOptions),
      down: script(path, section.down, section.downOffset, section.downOptions),
      checksum: checksumOf(section.up),
    });
  }
  return migrations;
}

function table(ctx: HistoryContext): Promise<TableRef> {
  return resolveTable(ctx, DBMATE_TABLE);
}

export const dbmateHistory: HistoryAdapter = {
  async detect(ctx) {
    const columns = (await detectTable(ctx, table))?.columns;
    return columns?.size === 1 && isCharacterType(columns.get('version'));
  },

  async read(ctx) {
    const ref = await table(ctx);
    if (!(await tableColumns(ctx.client, ref))) return { exists: false, table: ref.display, applied: [] };
    const result = await query<{ version: string }>(
      ctx.client,
      `SELECT version FROM ${ref.sql} ORDER BY version`,
      [],
      `${ref.display}: cannot read dbmate's migration history`,
    );
    return {
      exists: true,
      table: ref.display,
      applied: result.rows.map((row) => ({ id: row.version, state: 'applied' as const })),
    };
  },

  async ensure(ctx) {
    const ref = await table(ctx);
    const what = `${ref.display}: cannot create dbmate's migration history table`;
    // pkg/driver/postgres CreateMigrationsTable creates the table and, only when that fails with
    // SQLSTATE 3F000 (no such schema), creates the schema and tries again. Checking first gives the
    // same result without a failed statement (which would abort a surrounding transaction).
    if (!(await schemaExists(ctx.client, ref.schema, what))) {
      await query(ctx.client, `CREATE SCHEMA IF NOT EXISTS ${ident(ref.schema)}`, [], what);
    }
    await query(ctx.client, `CREATE TABLE IF NOT EXISTS ${ref.sql} (version varchar PRIMARY KEY)`, [], what);
  },

  async markApplied(ctx, migration) {
    const ref = await table(ctx);
    await query(
      ctx.client,
      `INSERT INTO ${ref.sql} (version) VALUES ($1)`,
      [migration.id],
      `${ref.display}: cannot record version ${migration.id} as applied`,
    );
  },

  async markRolledBack(ctx, migration) {
    await deleteHistoryRow(ctx.client, await table(ctx), 'version', migration.id);
  },
};

export const dbmateFormat: MigrationFormat = {
  id: 'dbmate',
  title: 'dbmate',
  hasDown: true,
  detectFolder(dir) {
    return someSqlFile(dir, (text) => text.includes('migrate:up') && positions(text, 'up').length > 0)
      ? 2
      : 0;
  },
  read: readDbmate,
  history: dbmateHistory,
};
