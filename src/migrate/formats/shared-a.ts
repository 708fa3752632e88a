/**
 * Helpers shared by the Prisma, Flyway and Supabase formats: listing a migrations directory with
 * clear errors, relative paths, and finding / describing the history table in the database.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type pg from 'pg';
import { PgwardenError } from '../../errors/pgwarden-error.js';

export interface DirEntry {
  name: string;
  isDirectory: boolean;
  isFile: boolean;
}

/** The entries of a directory; a missing or unreadable directory is an error naming it. */
export function listDirectory(dir: string): DirEntry[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((entry) => {
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
    if (code === 'ENOENT') {
      throw new PgwardenError('PATH_NOT_FOUND', `${dir}: no such directory`, {
        hint: 'Check the migrations directory (`migrations.dir` in the config).',
        cause: error,
      });
    }
    if (code === 'ENOTDIR') {
      throw new PgwardenError('PATH_UNREADABLE', `${dir}: is a file, expected the migrations directory`);
    }
    throw new PgwardenError(
      'PATH_UNREADABLE',
      `${dir}: cannot read the directory (${code ?? String(error)})`,
      {
        cause: error,
      },
    );
  }
}

/** Like `listDirectory`, but an empty list instead of an error (for folder detection). */
export function listDirectoryQuietly(dir: string): DirEntry[] {
  try {
    return listDirectory(dir);
  } catch {
    return [];
  }
}

/** `path` relative to `dir`, with forward slashes. */
export function relativePath(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/');
}

/** Compares strings by the bytes of their UTF-8 encoding (Go's and Rust's string order). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A history table resolved to its schema, with the quoted name for SQL and a display name. */
export interface ResolvedTable {
  schema: string;
  name: string;
  /** `"schema"."name"`, for SQL. */
  sql: string;
  /** `schema.name`, for messages. */
  display: string;
}

/**
 * Resolves the history table: `override` (`table` or `schema.table`, split at the first dot) or
 * the tool's default name, in `defaultSchema` or else the connection's `current_schema()`.
 */
export async function resolveTable(
  client: pg.Client,
  override: string | undefined,
  defaults: { name: string; schema?: string },
): Promise<ResolvedTable> {
  let schema: string | undefined = defaults.schema;
  let name = defaults.name;
  if (override !== undefined && override !== '') {
    const dot = override.indexOf('.');
    if (dot === -1) name = override;
    else {
      schema = override.slice(0, dot);
      name = override.slice(dot + 1);
    }
    if (name === '' || schema === '') {
      throw new PgwardenError('CONFIG_INVALID', `migrations.table: "${override}" is not a table name`, {
        hint: 'Use `table` or `schema.table`.',
      });
    }
  }
  if (schema === undefined) {
    const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const current = rows[0]?.schema ?? null;
    if (current === null) {
      throw new PgwardenError(
        'USAGE',
        `cannot place the history table ${name}: no schema of the connection's search_path exists`,
        { hint: 'Create the schema, fix search_path, or set `migrations.table` to `schema.table`.' },
      );
    }
    schema = current;
  }
  return { schema, name, sql: `${quoteIdent(schema)}.${quoteIdent(name)}`, display: `${schema}.${name}` };
}

/** The columns of a table (or partitioned table), or undefined when there is no such table. */
export async function tableColumns(
  client: pg.Client,
  table: ResolvedTable,
): Promise<Set<string> | undefined> {
  const { rows } = await client.query<{ found: boolean; columns: string[] | null }>(
    `SELECT true AS found,
            array(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [table.schema, table.name],
  );
  const row = rows[0];
  return row ? new Set(row.columns ?? []) : undefined;
}

/** Whether a schema exists. */
export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  return rows.length > 0;
}

/** Whether `columns` holds every one of `required`. */
export function hasColumns(columns: Set<string> | undefined, required: readonly string[]): boolean {
  return columns !== undefined && required.every((column) => columns.has(column));
}

/**
 * Whether the history table has every `required` column. False, not an error, when the table
 * cannot be placed (no schema of the search_path exists): detection then simply finds nothing.
 */
export async function detectByColumns(
  client: pg.Client,
  table: Promise<ResolvedTable>,
  required: readonly string[],
): Promise<boolean> {
  let resolved: ResolvedTable;
  try {
    resolved = await table;
  } catch (error) {
    if (error instanceof PgwardenError && error.code === 'USAGE') return false;
    throw error;
  }
  return hasColumns(await tableColumns(client, resolved), required);
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
