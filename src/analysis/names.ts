/** Helpers for names in libpg-query's AST. Quoting is src/sql/quote.ts's. */
import { displayQualified, quoteIdentIfNeeded } from '../sql/quote.js';

export interface QualifiedName {
  schema: string | undefined;
  name: string;
}

/** A RangeVar node (`{ schemaname?, relname }`) as a qualified name. */
export function rangeVarName(rangeVar: any): QualifiedName | undefined {
  const rv = rangeVar?.RangeVar ?? rangeVar;
  if (!rv || typeof rv.relname !== 'string') return undefined;
  return { schema: typeof rv.schemaname === 'string' ? rv.schemaname : undefined, name: rv.relname };
}

/** A list of String nodes (`[{ String: { sval } }]`) as plain strings. */
export function stringList(items: any[] | undefined): string[] {
  return (items ?? []).map((item) => item?.String?.sval).filter((s): s is string => typeof s === 'string');
}

/** A list-of-strings name such as `schema.table` or `schema.type`. */
export function listName(items: any[] | undefined): QualifiedName | undefined {
  const parts = stringList(items);
  const name = parts.at(-1);
  if (name === undefined) return undefined;
  return { schema: parts.length > 1 ? parts.at(-2) : undefined, name };
}

/** `schema.name` for messages, each part quoted when it is not a plain lower-case word. */
export function displayName(name: QualifiedName): string {
  return name.schema ? displayQualified(name.schema, name.name) : displayQualified(name.name);
}

/** `schema.name` for SQL, each part quoted when PostgreSQL would not read it bare as itself. */
export function sqlName(name: QualifiedName): string {
  return name.schema
    ? `${quoteIdentIfNeeded(name.schema)}.${quoteIdentIfNeeded(name.name)}`
    : quoteIdentIfNeeded(name.name);
}

/** The integer value of an integer constant node, or undefined. */
export function intConst(node: any): number | undefined {
  const c = node?.A_Const;
  if (!c) return undefined;
  if (c.ival && typeof c.ival.ival === 'number') return c.ival.ival;
  if (c.ival && Object.keys(c.ival).length === 0) return 0; // libpg-query omits zero values
  return undefined;
}

/**
 * Calls `visit` with every node under `root` (a key starting with a capital letter whose value is
 * an object: `{ RangeVar: {…} }`), depth first. A loop with for-in, not a generator over
 * `Object.entries`: every rule that looks inside a statement pays for this walk.
 */
export function forEachNode(root: unknown, visit: (type: string, node: any) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    for (const key in value) {
      const child = (value as Record<string, unknown>)[key];
      if (child === null || typeof child !== 'object') continue;
      const first = key.charCodeAt(0);
      if (first >= 65 && first <= 90 && !Array.isArray(child)) visit(key, child);
      stack.push(child);
    }
  }
}

/**
 * The value of a boolean option in a DefElem list (`(CONCURRENTLY)`, `(FULL false)`, `(VERBOSE off)`):
 * true when present without a value, undefined when absent.
 */
export function booleanOption(options: any[] | undefined, name: string): boolean | undefined {
  const def = (options ?? []).find((o: any) => o?.DefElem?.defname === name)?.DefElem;
  if (!def) return undefined;
  const arg = def.arg;
  if (arg === undefined) return true;
  if (arg.Boolean) return arg.Boolean.boolval === true;
  if (arg.Integer) return (arg.Integer.ival ?? 0) !== 0;
  const text = String(arg.String?.sval ?? arg.A_Const?.sval?.sval ?? '').toLowerCase();
  return !['false', 'off', '0', 'no'].includes(text);
}

/** The columns an expression refers to. */
export function columnsIn(expr: unknown): string[] {
  const out = new Set<string>();
  forEachNode(expr, (type, node) => {
    if (type !== 'ColumnRef') return;
    const name = stringList(node.fields).at(-1);
    if (name) out.add(name);
  });
  return [...out];
}

/** The column of a `CHECK (col IS NOT NULL)` expression, if that is what it is. */
export function notNullCheckColumn(expr: any): string | undefined {
  const test = expr?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = stringList(test.arg?.ColumnRef?.fields);
  return fields.length === 1 ? fields[0] : undefined;
}
