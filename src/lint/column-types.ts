/**
 * Column types chosen by a statement (CREATE TABLE, ADD COLUMN, ALTER COLUMN … TYPE) and where
 * they are written, for the type rules (prefer-jsonb, prefer-bigint-*, prefer-identity,
 * prefer-text-field, prefer-timestamptz, ban-char-field) and their fixes.
 */
import { displayName, type QualifiedName, rangeVarName, stringList } from '../analysis/names.js';
import { type ColumnType, typeFromAst } from '../analysis/types.js';
import { quoteIdentIfNeeded } from '../sql/quote.js';
import type { Statement } from '../sql/statement.js';
import { type TextToken, textTokens } from './fix.js';
import type { RuleContext } from './rule.js';

// ---------------------------------------------------------------------------------------------

/** Where a column type is chosen: CREATE TABLE, ALTER TABLE … ADD COLUMN, ALTER COLUMN … TYPE. */
export type ColumnContext = 'create-table' | 'add-column' | 'alter-type';

export interface TypedColumn {
  column: string;
  table: QualifiedName | undefined;
  /** The TypeName AST node. */
  typeName: any;
  type: ColumnType;
  /** The type's name as written (last part, as parsed) and its schema, before alias resolution. */
  rawName: string;
  rawSchema: string | undefined;
  context: ColumnContext;
  /** AST location of the type. */
  location: number | undefined;
}

/**
 * Columns whose type the statement chooses, in order: column definitions of CREATE TABLE and
 * ADD COLUMN, and the new type of ALTER COLUMN … TYPE. Temporary tables and foreign tables are
 * left out (staging data; a foreign table's types must match the remote side).
 */
export function typedColumns(ctx: RuleContext): TypedColumn[] {
  const { stmt } = ctx;
  const out: TypedColumn[] = [];
  const add = (column: unknown, typeName: any, table: QualifiedName | undefined, context: ColumnContext) => {
    if (typeof column !== 'string' || !typeName) return;
    const parts = stringList(typeName.names);
    out.push({
      column,
      table,
      typeName,
      type: typeFromAst(typeName),
      rawName: parts.at(-1) ?? '',
      rawSchema: parts.length > 1 ? parts.at(-2) : undefined,
      context,
      location:
        typeof typeName.location === 'number' && typeName.location >= 0 ? typeName.location : undefined,
    });
  };
  if (stmt.kind === 'CreateStmt') {
    if (stmt.node.relation?.relpersistence === 't') return out;
    const table = rangeVarName(stmt.node.relation);
    for (const element of stmt.node.tableElts ?? []) {
      const def = element.ColumnDef;
      if (def) add(def.colname, def.typeName, table, 'create-table');
    }
  } else if (stmt.kind === 'AlterTableStmt') {
    if (stmt.node.objtype !== 'OBJECT_TABLE') return out;
    const table = rangeVarName(stmt.node.relation);
    if (ctx.table(table)?.persistence === 'temporary') return out;
    for (const item of stmt.node.cmds ?? []) {
      const cmd = item.AlterTableCmd;
      const def = cmd?.def?.ColumnDef;
      if (cmd?.subtype === 'AT_AddColumn' && def) add(def.colname, def.typeName, table, 'add-column');
      else if (cmd?.subtype === 'AT_AlterColumnType' && def) add(cmd.name, def.typeName, table, 'alter-type');
    }
  }
  return out;
}

/** The typed columns that match, at most one per column name (the first). */
export function matchingColumns(ctx: RuleContext, match: (c: TypedColumn) => boolean): TypedColumn[] {
  const seen = new Set<string>();
  const out: TypedColumn[] = [];
  for (const c of typedColumns(ctx)) {
    if (seen.has(c.column) || !match(c)) continue;
    seen.add(c.column);
    out.push(c);
  }
  return out;
}

/** A built-in type: written without a schema or in pg_catalog. */
export function isBuiltin(c: TypedColumn): boolean {
  return c.rawSchema === undefined || c.rawSchema === 'pg_catalog';
}

/** `users.email` (or just `email` when the table is unknown). */
export function columnLabel(c: TypedColumn): string {
  return c.table ? `${displayName(c.table)}.${quoteIdentIfNeeded(c.column)}` : quoteIdentIfNeeded(c.column);
}

/** Words that spell the built-in types these rules rewrite. */
const TYPE_WORDS = new Set([
  'INT',
  'INTEGER',
  'INT4',
  'INT2',
  'SMALLINT',
  'SERIAL',
  'SERIAL4',
  'SERIAL2',
  'SMALLSERIAL',
  'BIGSERIAL',
  'SERIAL8',
  'JSON',
  'VARCHAR',
  'CHARACTER',
  'CHAR',
  'NCHAR',
  'NATIONAL',
  'VARYING',
  'BPCHAR',
  'TIMESTAMP',
  'WITHOUT',
  'TIME',
  'ZONE',
]);

export interface TypeSpan {
  text: string;
  /** Char offsets of the type's name and modifiers in `text` (array brackets excluded). */
  start: number;
  end: number;
  /** The type is followed by array brackets or ARRAY. */
  isArray: boolean;
  /** Char offset in `text` just after the last token of the column definition. */
  definitionEnd: number;
}

/**
 * Where the column's type is written in the statement, found with PostgreSQL's scanner from the
 * type's AST location. Only for top-level statements (whose text maps exactly onto the AST) and
 * unquoted, unqualified built-in type names; otherwise undefined (no fix is offered).
 */
export function typeSpan(stmt: Statement, c: TypedColumn): TypeSpan | undefined {
  if (stmt.origin !== 'file' || c.location === undefined) return undefined;
  const text = stmt.text;
  const tokens = textTokens(text);
  if (!tokens) return undefined;
  const at = stmt.offsetOf(c.location) - stmt.span.start;
  let i = tokens.findIndex((t) => t.start === at);
  if (i < 0 || !TYPE_WORDS.has(tokens[i]!.upper)) return undefined;
  const first = tokens[i]!;
  let last = first;
  i++;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (TYPE_WORDS.has(t.upper)) {
      last = t;
      i++;
    } else if (t.upper === '(') {
      const close = matching(tokens, i);
      if (close === undefined) return undefined;
      last = tokens[close]!;
      i = close + 1;
    } else break;
  }
  const isArray = tokens[i]?.upper === '[' || tokens[i]?.upper === 'ARRAY';
  let depth = 0;
  let definitionEnd = last.end;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (depth === 0 && (t.upper === ',' || t.upper === ')' || t.upper === ';')) break;
    if (t.upper === '(' || t.upper === '[') depth++;
    else if (t.upper === ')' || t.upper === ']') depth--;
    definitionEnd = t.end;
  }
  return { text, start: first.start, end: last.end, isArray, definitionEnd };
}

/** The statement with the type replaced, and optionally a clause appended to the column definition. */
export function replaceType(span: TypeSpan, replacement: string, appendToColumn?: string): string {
  const { text } = span;
  const tail = appendToColumn
    ? `${text.slice(span.end, span.definitionEnd)} ${appendToColumn}${text.slice(span.definitionEnd)}`
    : text.slice(span.end);
  return `${text.slice(0, span.start)}${replacement}${tail}`;
}

function matching(tokens: TextToken[], open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.upper === '(') depth++;
    else if (tokens[i]!.upper === ')' && --depth === 0) return i;
  }
  return undefined;
}

/** What the prefer-bigint-* rules report: a narrow integer (or serial) column type. */
export interface NarrowInteger {
  plain: string;
  serial: string;
  plainWords: string;
  serialWords: string;
  /** "32-bit", "16-bit" */
  width: string;
  max: string;
  /** Why bigint, after "Use bigint" / "Use bigserial …". */
  because: string;
}

/** Reports columns of a narrow integer type with a fix to bigint / bigserial. */
export function reportNarrowIntegers(ctx: RuleContext, narrow: NarrowInteger): void {
  const found = matchingColumns(
    ctx,
    (c) =>
      isBuiltin(c) &&
      c.type.schema === undefined &&
      (c.type.name === narrow.plain || (c.type.name === narrow.serial && c.context !== 'alter-type')),
  );
  for (const c of found) {
    const serial = c.type.name === narrow.serial;
    const span = typeSpan(ctx.stmt, c);
    const single = span && !span.text.slice(span.start, span.end).includes(' ');
    ctx.report({
      message: `Column ${columnLabel(c)} is a ${narrow.width} ${serial ? narrow.serialWords : narrow.plainWords}: it overflows at ${narrow.max}, and widening it later rewrites the table under an ACCESS EXCLUSIVE lock`,
      location: c.location,
      help: `Use ${serial ? 'bigserial (or bigint GENERATED BY DEFAULT AS IDENTITY)' : 'bigint'}${narrow.because}`,
      fix: span && single ? replaceType(span, serial ? 'bigserial' : 'bigint') : undefined,
    });
  }
}
