/**
 * Helpers shared by the migration formats: listing a migrations folder with clear errors, reading
 * its files, naming and describing the tool's history table in the database, and the few
 * string rules of the tools themselves (Go's white space, byte-order comparison).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type pg from 'pg';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { quoteIdent } from '../../sql/quote.js';
import { readSqlFile } from '../../sql/source.js';
import type { HistoryContext, MigrationScript } from '../types.js';

// ---------------------------------------------------------------------------------------------
// Folder

export interface DirEntry {
  name: string;
  /** A directory, or a symbolic link to one. */
  isDirectory: boolean;
  /** A regular file, or a symbolic link to one. */
  isFile: boolean;
}

/** The files (absolute paths) left out of every listing while `withoutFiles` runs. */
let leftOut: ReadonlySet<string> | undefined;

/**
 * Runs `read` (synchronous: a format's `read`) with these files (or folders) absent from
 * `listDirectory`: `status` reads a folder again without a file its format refuses, to list
 * everything else (source.ts).
 */
export function withoutFiles<T>(paths: ReadonlySet<string>, read: () => T): T {
  const previous = leftOut;
  leftOut = paths;
  try {
    return read();
  } finally {
    leftOut = previous;
  }
}

/**
 * The entries of `dir`, in directory order, symbolic links described by what they point to (a
 * broken link is neither file nor directory), but those `withoutFiles` leaves out. A missing or
 * unreadable directory is an error naming it: PATH_NOT_FOUND when it does not exist,
 * PATH_UNREADABLE when it is not a directory or cannot be read.
 */
export function listDirectory(dir: string): DirEntry[] {
  const skipped = leftOut;
  try {
    const entries = readdirSync(dir, { withFileTypes: true }).filter(
      (entry) => !skipped?.has(join(dir, entry.name)),
    );
    return entries.map((entry) => {
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = statSync(join(dir, entry.name), { throwIfNoEntry: false });
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      return { name: entry.name, isDirectory, isFile };
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || (code === 'ENOTDIR' && !existsSync(dir))) {
      throw new PgwardenError('PATH_NOT_FOUND', `${dir}: no such migrations directory`, {
        hint: 'Check `migrations.dir` in the configuration, or pass the directory that holds the migration files.',
        details: { path: dir },
        cause: error,
      });
    }
    if (code === 'ENOTDIR') {
      throw new PgwardenError('PATH_UNREADABLE', `${dir}: is a file, expected the migrations directory`, {
        details: { path: dir },
      });
    }
    throw new PgwardenError('PATH_UNREADABLE', `${dir}: cannot read directory (${code ?? String(error)})`, {
      details: { path: dir },
      cause: error,
    });
  }
}

/** Like `listDirectory`, but nothing instead of an error: a missing folder looks like no format. */
export function listDirectoryQuietly(dir: string): DirEntry[] {
  try {
    return listDirectory(dir);
  } catch {
    return [];
  }
}

/** The names of the entries that are not directories (files, and links that lead to no directory). */
export function fileNames(entries: readonly DirEntry[]): string[] {
  return entries.filter((entry) => !entry.isDirectory).map((entry) => entry.name);
}

/**
 * For `detectFolder`: whether some `.sql` file of `dir` passes `test` on its text. A missing folder
 * or an unreadable file says nothing about the folder's format.
 */
export function someSqlFile(dir: string, test: (text: string) => boolean): boolean {
  for (const file of fileNames(listDirectoryQuietly(dir))) {
    if (!file.toLowerCase().endsWith('.sql')) continue;
    try {
      if (test(readText(dir, file))) return true;
    } catch {
      // An unreadable file says nothing about the folder's format.
    }
  }
  return false;
}

/** `path` relative to `dir`, with forward slashes. */
export function relativePath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

/**
 * The texts read while one folder is loaded (`withFolderTexts`): detection reads every `.sql` file
 * of a folder for each format that looks for markers, and the chosen format reads them again, so
 * a folder of 2,000 plain files was read four times. Shared only while a synchronous read runs,
 * so a module variable is enough (no AsyncLocalStorage, no promise hooks).
 */
let activeTexts: Map<string, string> | undefined;

/** Runs `read` (synchronous) with the texts of `texts` reused, and the texts it reads kept there. */
export function withFolderTexts<T>(texts: Map<string, string>, read: () => T): T {
  const previous = activeTexts;
  activeTexts = texts;
  try {
    return read();
  } finally {
    activeTexts = previous;
  }
}

/** The text of `dir/name` (UTF-8 checked, BOM stripped); read once per `withFolderTexts`. */
export function readText(dir: string, name: string): string {
  return readFileText(join(dir, name));
}

/** The text of the file at `path`, as `readText`. */
export function readFileText(path: string): string {
  const texts = activeTexts;
  const known = texts?.get(path);
  if (known !== undefined) return known;
  const { text } = readSqlFile(path);
  texts?.set(path, text);
  return text;
}

/** Whether `dir/name` starts with a UTF-8 byte order mark (which `readText` strips). */
export function startsWithBom(dir: string, name: string): boolean {
  const head = Buffer.alloc(3);
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, name), 'r');
    return readSync(fd, head, 0, 3, 0) === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } catch {
    return false; // readText reports unreadable files
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A script that is a whole file. */
export function wholeFileScript(dir: string, name: string, text = readText(dir, name)): MigrationScript {
  return { path: join(dir, name), text, offset: 0 };
}

/** USAGE error about one migration file. */
export function fileError(dir: string, name: string, problem: string, hint: string): PgwardenError {
  const path = join(dir, name);
  return new PgwardenError('USAGE', `${path}: ${problem}`, { hint, details: { path } });
}

// ---------------------------------------------------------------------------------------------
// History table

/**
 * Always-quoted SQL identifier, as the tools write their history tables (keywords and mixed case
 * stay safe, and Flyway hashes the quoted name for its lock key): src/sql/quote.ts's quoteIdent,
 * so a name with a control character takes the `U&"…"` form and never puts one in the SQL.
 */
export function ident(name: string): string {
  return quoteIdent(name);
}

/** A history table resolved to its schema and name. */
export interface TableRef {
  schema: string;
  name: string;
  /** `"schema"."name"`, for SQL. */
  sql: string;
  /** `schema.name`, for messages. */
  display: string;
}

function tableRef(schema: string, name: string): TableRef {
  return { schema, name, sql: `${ident(schema)}.${ident(name)}`, display: `${schema}.${name}` };
}

/**
 * Splits a configured table name (`table` or `schema.table`). More than one dot is refused: none of
 * these tools can address such a name the same way, so it is a configuration mistake.
 */
function splitTableName(table: string): { schema?: string; name: string } {
  const parts = table.split('.');
  if (parts.length > 2 || parts.some((part) => part === '')) {
    throw new PgwardenError('CONFIG_INVALID', `migrations.table: "${table}" is not a table name`, {
      hint: 'Write the history table as `table` or `schema.table`.',
    });
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

/** Thrown by `resolveTable` when the table has no schema to live in; `detectTable` catches it. */
class NoCurrentSchemaError extends PgwardenError {}

/**
 * The history table for `ctx`: the configured name (`migrations.table`) or `defaultName`; a name
 * without schema lives in `fallbackSchema`, or in the connection's `current_schema()` when that is
 * undefined.
 *
 * When no schema of the connection's search_path exists, `current_schema()` is NULL and the table
 * cannot be placed. That is a DB_QUERY error (class environment, exit 3): the command and the
 * configuration are valid, it is the database session's setup (the role's or database's
 * search_path, or a missing schema) that does not allow the work — the same class as a failing
 * catalog read, not a usage mistake (USAGE would say the command line was wrong). `detect` does not
 * fail on it: see `detectTable`.
 */
export async function resolveTable(
  ctx: HistoryContext,
  defaultName: string,
  fallbackSchema?: string,
): Promise<TableRef> {
  const { schema, name } = splitTableName(ctx.table || defaultName);
  if (schema !== undefined) return tableRef(schema, name);
  if (fallbackSchema !== undefined) return tableRef(fallbackSchema, name);
  const read = async () =>
    (
      await query<{ schema: string | null }>(
        ctx.client,
        'SELECT current_schema() AS schema',
        [],
        `${name}: cannot read the current schema`,
      )
    ).rows[0]?.schema ?? null;
  let found: string | null;
  if (ctx.memo) {
    ctx.memo.currentSchema ??= read();
    found = await ctx.memo.currentSchema;
  } else found = await read();
  if (!found) {
    throw new NoCurrentSchemaError(
      'DB_QUERY',
      `cannot place the history table ${name}: no schema of the connection's search_path exists`,
      { hint: 'Create the schema, fix search_path, or set `migrations.table` to `schema.table`.' },
    );
  }
  return tableRef(found, name);
}

/**
 * For `detect`: the history table and its columns, or undefined when there is no such table — and
 * also when the table cannot be placed because the connection has no current schema: detection
 * then simply finds nothing (reading or writing the history still fails with the error).
 */
export async function detectTable(
  ctx: HistoryContext,
  table: (ctx: HistoryContext) => Promise<TableRef>,
): Promise<{ ref: TableRef; columns: ReadonlyMap<string, string> } | undefined> {
  let ref: TableRef;
  try {
    ref = await table(ctx);
  } catch (error) {
    if (error instanceof NoCurrentSchemaError) return undefined;
    throw error;
  }
  let columns: Map<string, string> | undefined;
  if (ctx.memo) {
    let known = ctx.memo.columns.get(ref.sql);
    if (!known) {
      known = tableColumns(ctx.client, ref);
      ctx.memo.columns.set(ref.sql, known);
    }
    columns = await known;
  } else columns = await tableColumns(ctx.client, ref);
  return columns && { ref, columns };
}

/** Runs a query; a database error becomes a DB_QUERY error that says what was being done. */
export async function query<R extends pg.QueryResultRow = any>(
  client: pg.Client,
  sql: string,
  params: unknown[],
  what: string,
): Promise<pg.QueryResult<R>> {
  try {
    return await client.query<R>(sql, params);
  } catch (error) {
    const pgError = error as { message?: string; code?: string };
    throw new PgwardenError('DB_QUERY', `${what}: ${pgError.message ?? String(error)}`, {
      cause: error,
      details: pgError.code ? { sqlstate: pgError.code } : undefined,
    });
  }
}

/**
 * The columns of a table or partitioned table (name → `format_type` text, in column order), or
 * undefined when there is no such table.
 */
export async function tableColumns(
  client: pg.Client,
  table: TableRef,
): Promise<Map<string, string> | undefined> {
  const result = await query<{ attname: string | null; type: string | null }>(
    client,
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
      ORDER BY a.attnum`,
    [table.schema, table.name],
    `${table.display}: cannot read the table's columns`,
  );
  if (result.rows.length === 0) return undefined;
  const columns = new Map<string, string>();
  for (const row of result.rows) if (row.attname !== null) columns.set(row.attname, row.type ?? '');
  return columns;
}

/** Whether the table exists (`columns` not undefined) and has every one of `required`. */
export function hasColumns(
  columns: ReadonlyMap<string, string> | undefined,
  required: readonly string[],
): boolean {
  return columns !== undefined && required.every((column) => columns.has(column));
}

/** Whether a `format_type` text is one of PostgreSQL's character types. */
export function isCharacterType(type: string | undefined): boolean {
  return (
    type !== undefined && /^(character varying|character|text|varchar|char|bpchar)(\(\d+\))?$/.test(type)
  );
}

/**
 * Deletes the history row of a rolled-back migration, where the tool keys rows by one column
 * (`column`, an identifier as SQL) holding the migration's id.
 */
export async function deleteHistoryRow(
  client: pg.Client,
  ref: TableRef,
  column: string,
  id: string,
): Promise<void> {
  await query(
    client,
    `DELETE FROM ${ref.sql} WHERE ${column} = $1`,
    [id],
    `${ref.display}: cannot record ${id} as rolled back`,
  );
}

/** Whether a schema exists. */
export async function schemaExists(client: pg.Client, schema: string, what: string): Promise<boolean> {
  const result = await query(
    client,
    'SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1',
    [schema],
    what,
  );
  return result.rows.length > 0;
}

// ---------------------------------------------------------------------------------------------
// The tools' string rules

/** Compares strings by the bytes of their UTF-8 encoding (Go's and Rust's string order). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Removes every trailing `;` (Go's `strings.TrimRight(s, ";")`). */
export function trimTrailingSemicolons(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === ';') end--;
  return text.slice(0, end);
}

/** Go's `unicode.IsSpace`: ASCII white space, NEL, NBSP and the Unicode White_Space characters. */
function isGoSpace(code: number): boolean {
  if (code <= 0xff) {
    return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x85 || code === 0xa0;
  }
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isGoSpace(text.charCodeAt(start))) start++;
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}
