/**
 * `pgwarden backfill --table t --set "…" [--where "…"]`: the UPDATE the flags describe, and the id
 * of its progress row (the statement's hash, so running the same command again resumes it).
 * Each flag must stand on its own: the table a plain (qualified) name, the SET list and the
 * condition whole pieces of SQL (no `;`, no open string or comment), and the statement built from
 * them must have exactly the condition given — a `--` in --set cannot swallow the WHERE.
 */
import { createHash } from 'node:crypto';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { parseSql, scanSql } from '../sql/parser.js';

export interface AdhocBackfill {
  table: string;
  set: string;
  where?: string | undefined;
}

/** The statement and its progress id; call `loadParser()` first. */
export function adhocBackfill(flags: AdhocBackfill): { id: string; sql: string } {
  const table = flags.table.trim();
  if (!isQualifiedName(table)) {
    throw usage(`--table "${flags.table}" is not a table name (name, schema.name, or "Quoted Name")`);
  }
  const set = piece(flags.set, '--set');
  const where = flags.where === undefined ? undefined : piece(flags.where, '--where');
  const sql = `UPDATE ${table} SET ${set}${where === undefined ? '' : ` WHERE ${where}`}`;
  const parsed = parseSql(sql);
  if ('error' in parsed)
    throw usage(`the UPDATE built from --table, --set and --where does not parse: ${parsed.error.message}`);
  const node = parsed.stmts.length === 1 ? parsed.stmts[0]!.stmt.UpdateStmt : undefined;
  if (!node || (node.whereClause !== undefined) !== (where !== undefined)) {
    throw usage('--set must be only the assignments (column = expression, …) and --where only the condition');
  }
  const id = `adhoc:${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
  return { id, sql };
}

function piece(text: string, flag: string): string {
  const trimmed = text.trim();
  const tokens = trimmed === '' ? undefined : scanSql(trimmed);
  if (!tokens || tokens.length === 0)
    throw usage(`${flag} is empty or not SQL PostgreSQL's scanner can read`);
  if (tokens.some((t) => t.text === ';')) throw usage(`${flag} holds a ";": give one piece of one UPDATE`);
  if (tokens.some((t) => t.name === 'SQL_COMMENT' || t.name === 'C_COMMENT'))
    throw usage(`${flag} holds a comment`);
  return trimmed;
}

function isQualifiedName(text: string): boolean {
  const tokens = scanSql(text);
  if (!tokens || tokens.length === 0 || tokens.length > 5) return false;
  return (
    tokens.every((t, i) =>
      i % 2 === 1 ? t.text === '.' : t.name === 'IDENT' || t.keyword === 'UNRESERVED_KEYWORD',
    ) && tokens.length % 2 === 1
  );
}

function usage(message: string): PgwardenError {
  return new PgwardenError('USAGE', message, {
    hint: 'e.g. pgwarden backfill --table users --set "email_verified = false" --where "email_verified IS NULL"',
  });
}
