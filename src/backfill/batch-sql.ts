/**
 * The SQL of a backfill's batches: the bound query that finds the batch's last key (the next `n`
 * keys after the last one done, up to the range's end, read through the key's index) and the
 * UPDATE limited to that key range.
 */
import type pg from 'pg';
import { quoteIdent } from '../sql/quote.js';
import { type BackfillUpdate, batchStatement } from './update-statement.js';
import { type KeyValue, keyColumns, keyExpression, keyParameters, type WalkKey } from './walk-key.js';

export interface BatchStatements {
  /** $1..$k the range's end, $k+1 the batch size → the batch's last key and its number of keys */
  firstBound: string;
  /** $1..$k the last key done, $k+1..$2k the range's end, $2k+1 the batch size */
  nextBound: string;
  /** $1..$k the batch's last key */
  firstUpdate: string;
  /** $1..$k the last key done, $k+1..$2k the batch's last key */
  nextUpdate: string;
}

export function batchStatements(update: BackfillUpdate, key: WalkKey): BatchStatements {
  const k = key.columns.length;
  const bare = key.columns.length === 1 ? quoteIdent(key.columns[0]!) : `(${keyColumns(key)})`;
  const qualifiedKey = keyExpression(key, update);
  const bound = (lower: boolean) => {
    const from = lower ? `${bare} > ${keyParameters(key, 1)} AND ` : '';
    const max = keyParameters(key, lower ? k + 1 : 1);
    const limit = `$${lower ? 2 * k + 1 : k + 1}::int`;
    return `WITH b AS (
       SELECT ${keyColumns(key)} FROM ${key.table}
        WHERE ${from}${bare} <= ${max}
        ORDER BY ${keyColumns(key)} LIMIT ${limit})
     SELECT ${key.columns.map((c, i) => `b.${quoteIdent(c)}::text AS k${i}`).join(', ')}, (SELECT count(*) FROM b)
       FROM b ORDER BY ${key.columns.map((c) => `b.${quoteIdent(c)} DESC`).join(', ')} LIMIT 1`;
  };
  return {
    firstBound: bound(false),
    nextBound: bound(true),
    firstUpdate: batchStatement(update, `${qualifiedKey} <= ${keyParameters(key, 1)}`),
    nextUpdate: batchStatement(
      update,
      `${qualifiedKey} > ${keyParameters(key, 1)} AND ${qualifiedKey} <= ${keyParameters(key, k + 1)}`,
    ),
  };
}

/** The range a backfill walks, fixed when it starts: the largest key now, and the rows now. */
export async function readRange(
  client: pg.Client,
  key: WalkKey,
): Promise<{ maxKey: KeyValue | undefined; rows: number }> {
  const max = await client.query({
    text: `SELECT ${key.columns.map((c, i) => `${quoteIdent(c)}::text AS k${i}`).join(', ')}
             FROM ${key.table} ORDER BY ${keyColumns(key, ' DESC')} LIMIT 1`,
    rowMode: 'array',
  });
  const total = await client.query(`SELECT count(*)::bigint AS n FROM ${key.table}`);
  return { maxKey: max.rows[0] as KeyValue | undefined, rows: Number(total.rows[0].n) };
}
