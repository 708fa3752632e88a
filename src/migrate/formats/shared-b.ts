/**
 * Helpers shared by the plain, dbmate, golang-migrate and node-pg-migrate formats: listing a
 * migrations folder, reading its files, naming the history table, and the catalog queries the
 * history adapters need (does the table exist, which columns does it have).
 */
import { closeSync, type Dirent, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { readSqlFile } from '../../sql/source.js';
import { checksumOf } from '../checksum.js';
import type { HistoryContext, MigrationScript } from '../types.js';

/** The names of the files (not directories) directly inside `dir`, in directory order. */
export function listFileNames(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new PgwardenError('PATH_NOT_FOUND', `${dir}: no such migrations directory`, {
        hint: 'Check `migrations.dir` in the configuration, or pass the directory that holds the migration files.',
        details: { path: dir },
      });
    }
    throw new PgwardenError('PATH_UNREADABLE', `${dir}: cannot read directory (${code ?? String(error)})`, {
      details: { path: dir },
    });
  }
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name);
}

/** Like `listFileNames`, but an unreadable or missing folder simply does not look like any format. */
export function fileNamesOrNone(dir: string): string[] {
  try {
    return listFileNames(dir);
  } catch {
    return [];
  }
}

/** The text of `dir/name` (UTF-8 checked, BOM stripped). */
export function readText(dir: string, name: string): string {
  return readSqlFile(join(dir, name)).text;
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

export { checksumOf };

/** Always-quoted SQL identifier (keywords and mixed case stay safe). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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

export function tableRef(schema: string, name: string): TableRef {
  return { schema, name, sql: `${ident(schema)}.${ident(name)}`, display: `${schema}.${name}` };
}

/**
 * Splits a configured table name (`table` or `schema.table`). More than one dot is refused: none of
 * these tools can address such a name the same way, so it is a configuration mistake.
 */
export function splitTableName(table: string): { schema?: string; name: string } {
  const parts = table.split('.');
  if (parts.length > 2 || parts.some((part) => part === '')) {
    throw new PgwardenError('CONFIG_INVALID', `migrations.table: "${table}" is not a table name`, {
      hint: 'Write the history table as `table` or `schema.table`.',
    });
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

/**
 * The history table for `ctx`: the configured name or `defaultName`; a name without schema lives
 * in `fallbackSchema`, or in the connection's `current_schema()` when that is undefined.
 */
export async function resolveTable(
  ctx: HistoryContext,
  defaultName: string,
  fallbackSchema?: string,
): Promise<TableRef> {
  const { schema, name } = splitTableName(ctx.table ?? defaultName);
  if (schema !== undefined) return tableRef(schema, name);
  if (fallbackSchema !== undefined) return tableRef(fallbackSchema, name);
  const current = await query<{ schema: string | null }>(
    ctx.client,
    'SELECT current_schema() AS schema',
    [],
    `${name}: cannot read the current schema`,
  );
  const found = current.rows[0]?.schema;
  if (!found) {
    throw new PgwardenError('DB_QUERY', `${name}: the connection has no current schema (empty search_path)`, {
      hint: 'Set a search_path, or configure the history table as `schema.table`.',
    });
  }
  return tableRef(found, name);
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

/** The columns of a table (name → `format_type` text), or undefined when there is no such table. */
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

/** Whether a `format_type` text is one of PostgreSQL's character types. */
export function isCharacterType(type: string | undefined): boolean {
  return (
    type !== undefined && /^(character varying|character|text|varchar|char|bpchar)(\(\d+\))?$/.test(type)
  );
}

/** The 1-based line of a character offset, for messages. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** USAGE error about one migration file. */
export function fileError(dir: string, name: string, problem: string, hint: string): PgwardenError {
  const path = join(dir, name);
  return new PgwardenError('USAGE', `${path}: ${problem}`, { hint, details: { path } });
}
