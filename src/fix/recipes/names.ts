/** Names the recipes write: quoted only when needed, and constraint names within 63 bytes. */
import { quoteIdentIfNeeded } from '../../sql/quote.js';

export const ident = quoteIdentIfNeeded;

/** A constraint name for `table` and `column` with `suffix`, cut to PostgreSQL's 63 bytes. */
export function constraintName(table: string, column: string, suffix: string): string {
  const base = `${table}_${column}`;
  const room = 63 - suffix.length - 1;
  return `${Buffer.from(base)
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')}_${suffix}`;
}

/** A subject for file names: letters, digits and underscores. */
export function subject(...parts: string[]): string {
  return parts
    .join('_')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
}
