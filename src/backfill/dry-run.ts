/**
 * What a backfill would do, without changing anything: the key it walks, the rows and range, the
 * batch size, the first batch boundaries, and an estimated duration measured on one batch run in
 * a transaction that is rolled back (it holds that batch's row locks for its duration, under the
 * lock timeout).
 */
import type pg from 'pg';
import { loadParser } from '../sql/parser.js';
import type { BackfillOptions } from './backfill.js';
import { batchStatements, readRange } from './batch-sql.js';
import { readBackfill } from './progress-rows.js';
import { readBackfillUpdate } from './update-statement.js';
import { findWalkKey, type KeyValue } from './walk-key.js';

export interface BackfillPlan {
  id: string;
  table: string;
  key: string[];
  index: string;
  rows: number;
  maxKey: KeyValue | undefined;
  /** Where an earlier, unfinished run stopped: the walk would resume after it. */
  resumesAfter: KeyValue | undefined;
  batchSize: number;
  /** `auto`: the size the sample batch suggests for the target duration. */
  batchSizeFrom: 'fixed' | 'sample';
  batches: number;
  /** The last key of each of the first batches. */
  boundaries: KeyValue[];
  sample: { rows: number; updated: number; durationMs: number } | { error: string } | undefined;
  estimatedMs: number | undefined;
  statement: string;
}

const SHOWN = 5;
const FIRST = 1000;

export async function planBackfill(
  client: pg.Client,
  spec: { id: string; sql: string },
  options: BackfillOptions,
): Promise<BackfillPlan> {
  await loadParser();
  const update = readBackfillUpdate(spec.sql);
  const key = await findWalkKey(client, update);
  const exists = await client.query(`SELECT to_regclass('pgwarden.backfills') IS NOT NULL AS ok`);
  const earlier = exists.rows[0].ok ? await readBackfill(client, spec.id) : undefined;
  const resumesAfter = earlier && earlier.finishedAt === undefined ? earlier.lastKey : undefined;
  const range = await readRange(client, key);
  const sql = batchStatements(update, key);
  let size = options.batch === 'auto' ? FIRST : options.batch;
  let sample: BackfillPlan['sample'];
  if (range.maxKey) {
    sample = await sampleBatch(client, sql, range.maxKey, size, options, resumesAfter);
    if (options.batch === 'auto' && 'durationMs' in sample && sample.rows >= size) {
      size = Math.max(
        1,
        Math.min(100_000, Math.round((size * options.targetMs) / Math.max(sample.durationMs, 1))),
      );
    }
  }
  const boundaries: KeyValue[] = [];
  let last = resumesAfter;
  while (range.maxKey && boundaries.length < SHOWN) {
    const { rows } = await client.query({
      text: last === undefined ? sql.firstBound : sql.nextBound,
      values: [...(last ?? []), ...range.maxKey, size],
      rowMode: 'array',
    });
    if (!rows[0]) break;
    last = (rows[0] as string[]).slice(0, key.columns.length);
    boundaries.push(last);
  }
  const remaining = resumesAfter ? Math.max(0, range.rows - (earlier?.rowsDone ?? 0)) : range.rows;
  const perRow =
    sample && 'durationMs' in sample && sample.rows > 0 ? sample.durationMs / sample.rows : undefined;
  const batches = Math.ceil(remaining / size);
  return {
    id: spec.id,
    table: key.display,
    key: key.columns,
    index: key.index,
    rows: range.rows,
    maxKey: range.maxKey,
    resumesAfter,
    batchSize: size,
    batchSizeFrom: options.batch === 'auto' ? 'sample' : 'fixed',
    batches,
    boundaries,
    sample,
    estimatedMs:
      perRow === undefined ? undefined : Math.round(remaining * perRow + batches * options.sleepMs),
    statement: update.text,
  };
}

async function sampleBatch(
  client: pg.Client,
  sql: ReturnType<typeof batchStatements>,
  maxKey: KeyValue,
  size: number,
  options: BackfillOptions,
  after: KeyValue | undefined,
): Promise<NonNullable<BackfillPlan['sample']>> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.round(options.lockTimeoutMs)}`);
    const { rows } = await client.query({
      text: after === undefined ? sql.firstBound : sql.nextBound,
      values: [...(after ?? []), ...maxKey, size],
      rowMode: 'array',
    });
    if (!rows[0]) return { rows: 0, updated: 0, durationMs: 0 };
    const end = (rows[0] as string[]).slice(0, maxKey.length);
    const t0 = performance.now();
    const result = await client.query(after === undefined ? sql.firstUpdate : sql.nextUpdate, [
      ...(after ?? []),
      ...end,
    ]);
    return {
      rows: Number((rows[0] as unknown[])[maxKey.length]),
      updated: result.rowCount ?? 0,
      durationMs: Math.round(performance.now() - t0),
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
