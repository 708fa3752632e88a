/**
 * Whether an expression (a column DEFAULT, say) is volatile: evaluated again for every row.
 * Since PostgreSQL 11, ADD COLUMN with a non-volatile default is catalog-only, while a volatile
 * default rewrites the table. Built-in functions come from pg_proc (builtin-functions.ts); other
 * functions are looked up in the live database when connected, and otherwise count as unknown.
 */
import { NON_VOLATILE_BUILTINS, VOLATILE_BUILTINS } from './builtin-functions.js';
import { stringList } from './names.js';

export type Volatility = 'immutable-or-stable' | 'volatile' | 'unknown';

/** Looks up a non-built-in function's volatility (e.g. from the live catalog). */
export type FunctionLookup = (
  schema: string | undefined,
  name: string,
) => 'volatile' | 'non-volatile' | undefined;

export interface VolatilityResult {
  volatility: Volatility;
  /** The function that makes the expression volatile or unknown. */
  culprit: string | undefined;
}

const rank: Record<Volatility, number> = { 'immutable-or-stable': 0, unknown: 1, volatile: 2 };

export function expressionVolatility(expr: unknown, lookup?: FunctionLookup): VolatilityResult {
  let result: VolatilityResult = { volatility: 'immutable-or-stable', culprit: undefined };
  const raise = (volatility: Volatility, culprit: string): void => {
    if (rank[volatility] > rank[result.volatility]) result = { volatility, culprit };
  };
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'FuncCall') {
        const names = stringList((child as any).funcname);
        const name = names.at(-1) ?? '';
        const schema = names.length > 1 ? names.at(-2) : undefined;
        raise(functionVolatility(schema, name, lookup), names.join('.'));
      } else if (key === 'SubLink') {
        raise('unknown', 'a subquery');
      }
      visit(child);
    }
  };
  visit(expr);
  return result;
}

function functionVolatility(schema: string | undefined, name: string, lookup?: FunctionLookup): Volatility {
  const live = lookup?.(schema, name);
  if (live) return live === 'volatile' ? 'volatile' : 'immutable-or-stable';
  if (schema === undefined || schema === 'pg_catalog') {
    const lower = name.toLowerCase();
    if (VOLATILE_BUILTINS.has(lower)) return 'volatile';
    if (NON_VOLATILE_BUILTINS.has(lower)) return 'immutable-or-stable';
  }
  return 'unknown';
}
