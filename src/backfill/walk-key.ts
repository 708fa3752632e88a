/**
 * The key a backfill walks in batches: the table's primary key, or else its smallest unique btree
 * index over NOT NULL columns (valid, not partial, no expressions), read from the catalog. Keys are
 * compared as rows of typed values (`(a, b) > ($1::int, $2::text)`), which a btree index serves.
 */
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { displayQualified, quoteIdent, quoteQualified, regclassLiteral } from '../sql/quote.js';
import { type BackfillUpdate, qualified } from './update-statement.js';

export interface WalkKey {
  tableOid: number;
  /** The table as the statement names it (for SQL), and as shown to people. */
  table: string;
  display: string;
  columns: string[];
  /** `format_type` of each column: the casts of the key's values. */
  types: string[];
  /** The index that serves the walk. */
  index: string;
}

/** A key value: its columns' values as text (never null: the key's columns are NOT NULL). */
export type KeyValue = string[];

export async function findWalkKey(client: pg.Client, update: BackfillUpdate): Promise<WalkKey> {
  const parts = update.schema === undefined ? [update.table] : [update.schema, update.table];
  const display = displayQualified(...parts);
  const regclass = regclassLiteral(...parts);
  const { rows: tables } = await client.query(
    `SELECT c.oid, c.relkind FROM pg_class c WHERE c.oid = to_regclass(${regclass}::text)`,
  );
  if (!tables[0] || !['r', 'p'].includes(tables[0].relkind)) {
    throw new PgwardenError('BACKFILL_INVALID', `the backfill's table ${display} does not exist`, {
      hint: 'Check the name and the search_path; a backfill runs on a table.',
    });
  }
  const { rows } = await client.query(
    `SELECT i.indexrelid::regclass::text AS index,
            array_agg(a.attname::text ORDER BY k.ord) AS columns,
            array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord) AS types
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indisready
        AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
      GROUP BY i.indexrelid, i.indisprimary
     HAVING bool_and(a.attnotnull)
      ORDER BY i.indisprimary DESC, count(*), i.indexrelid
      LIMIT 1`,
    [tables[0].oid],
  );
  const key = rows[0] as { index: string; columns: string[]; types: string[] } | undefined;
  if (!key) {
    throw new PgwardenError(
      'BACKFILL_INVALID',
      `${display} has no primary key and no unique index over NOT NULL columns: a backfill walks the table in key order`,
      {
        hint: 'Add a primary key (or a unique index, CONCURRENTLY) first; or, for a small table, run the UPDATE as one statement.',
      },
    );
  }
  const set = key.columns.filter((c) => update.setColumns.includes(c));
  if (set.length > 0) {
    throw new PgwardenError(
      'BACKFILL_INVALID',
      `the backfill sets ${set.map(quoteIdent).join(', ')}, a column of the key it walks (${key.index})`,
      { hint: 'A backfill changes other columns; change a key in a migration of its own.' },
    );
  }
  return {
    tableOid: tables[0].oid,
    table: quoteQualified(...parts),
    display,
    columns: key.columns,
    types: key.types,
    index: key.index,
  };
}

/** The key's columns as the statement names them: `(u.a, u.b)`, or `u.a` for one column. */
export function keyExpression(key: WalkKey, update: BackfillUpdate): string {
  const columns = key.columns.map((c) => qualified(update, c));
  return columns.length === 1 ? columns[0]! : `(${columns.join(', ')})`;
}

/** A key value as typed parameters from `$first`: `($1::int, $2::text)`, or `$1::int`. */
export function keyParameters(key: WalkKey, first: number): string {
  const params = key.types.map((type, i) => `$${first + i}::${type}`);
  return params.length === 1 ? params[0]! : `(${params.join(', ')})`;
}

/** The key's columns, unqualified, for ORDER BY and SELECT lists. */
export function keyColumns(key: WalkKey, direction = ''): string {
  return key.columns.map((c) => `${quoteIdent(c)}${direction}`).join(', ');
}
