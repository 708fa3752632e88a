/**
 * The UPDATE a backfill runs, read with PostgreSQL's grammar: the table it changes, the columns it
 * sets, and its text split at its own top-level WHERE (found with PostgreSQL's scanner), so that a
 * batch is the same statement with the batch's key range added to its condition.
 *
 * Refused, with the reason: anything but one UPDATE; FROM/USING, RETURNING, WITH and WHERE CURRENT
 * OF (a batch could not be the same statement); setting a column of the key the batches walk.
 */
import { PgwardenError } from '../errors/pgwarden-error.js';
import { parseSql, scanSql } from '../sql/parser.js';
import { quoteIdent } from '../sql/quote.js';

export interface BackfillUpdate {
  /** The statement as given, without a trailing semicolon. */
  text: string;
  schema: string | undefined;
  table: string;
  /** The name the statement's columns are qualified with: the alias, or the table's name. */
  qualifier: string;
  /** The columns the statement sets. */
  setColumns: string[];
  /** The text before the statement's own WHERE (the whole text when it has none). */
  head: string;
  /** The statement's own condition, or undefined. */
  condition: string | undefined;
}

const invalid = (message: string, hint?: string) =>
  new PgwardenError('BACKFILL_INVALID', message, hint ? { hint } : {});

/** Reads a backfill's UPDATE; call `loadParser()` first. */
export function readBackfillUpdate(sql: string): BackfillUpdate {
  const text = withoutSemicolon(sql);
  const parsed = parseSql(text);
  if ('error' in parsed) throw invalid(`the backfill's statement does not parse: ${parsed.error.message}`);
  if (parsed.stmts.length !== 1 || !parsed.stmts[0]!.stmt.UpdateStmt) {
    throw invalid(
      `a backfill is one UPDATE statement; this is ${parsed.stmts.length === 1 ? Object.keys(parsed.stmts[0]!.stmt)[0] : `${parsed.stmts.length} statements`}`,
      'Write it as UPDATE <table> SET <column> = <expression> [WHERE <condition>].',
    );
  }
  const node = parsed.stmts[0]!.stmt.UpdateStmt;
  const refuse = (what: string) =>
    invalid(
      `a backfill's UPDATE cannot use ${what}: each batch must be the same statement over a range of the table's key`,
      'Move the lookup into the SET expression (a subquery) or the WHERE condition.',
    );
  if (node.fromClause?.length) throw refuse('FROM');
  if (node.returningClause || node.returningList?.length) throw refuse('RETURNING');
  if (node.withClause) throw refuse('WITH');
  if (node.whereClause?.CurrentOfExpr) throw refuse('WHERE CURRENT OF');
  const relation = node.relation;
  const setColumns = (node.targetList as any[]).map((t) => t.ResTarget.name as string);
  const where = topLevelWhere(text);
  return {
    text,
    schema: relation.schemaname,
    table: relation.relname,
    qualifier: relation.alias?.aliasname ?? relation.relname,
    setColumns,
    head: where === undefined ? text : text.slice(0, where.start).trimEnd(),
    condition: where === undefined ? undefined : text.slice(where.end).trim(),
  };
}

/**
 * The statement for one batch: the UPDATE with `range` (a condition on the key, written by the
 * caller) added to its own condition.
 */
export function batchStatement(update: BackfillUpdate, range: string): string {
  const sql =
    update.condition === undefined
      ? `${update.head}\nWHERE ${range}`
      : `${update.head}\nWHERE (${update.condition})\n  AND ${range}`;
  // the batch must still be one UPDATE of the same table, whatever the condition held
  const parsed = parseSql(sql);
  if ('error' in parsed || parsed.stmts.length !== 1 || !parsed.stmts[0]!.stmt.UpdateStmt) {
    throw new PgwardenError('INTERNAL', `the batch statement of a backfill does not parse: ${sql}`);
  }
  return sql;
}

/** `qualifier.column` for the statement's columns. */
export function qualified(update: BackfillUpdate, column: string): string {
  return `${quoteIdent(update.qualifier)}.${quoteIdent(column)}`;
}

function withoutSemicolon(sql: string): string {
  const tokens = scanSql(sql);
  const last = tokens?.at(-1);
  if (!tokens || last?.text !== ';') return sql.trim();
  return Buffer.from(sql, 'utf8').subarray(0, last.start).toString('utf8').trim();
}

/** The character span of the statement's own WHERE keyword (outside parentheses), if any. */
function topLevelWhere(text: string): { start: number; end: number } | undefined {
  const tokens = scanSql(text);
  if (!tokens) throw invalid("PostgreSQL's scanner cannot read the backfill's statement");
  const bytes = Buffer.from(text, 'utf8');
  const chars = (offset: number) => bytes.subarray(0, offset).toString('utf8').length;
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === ']') depth--;
    else if (depth === 0 && token.keyword === 'RESERVED_KEYWORD' && token.text.toLowerCase() === 'where') {
      return { start: chars(token.start), end: chars(token.end) };
    }
  }
  return undefined;
}
