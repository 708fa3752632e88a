/**
 * The backfill engine: an `UPDATE t SET … [WHERE …]` run in batches over the table's key, each
 * batch a short transaction of its own under the lock timeout:
 *
 * 1. The range is fixed at the start: from the smallest key to the largest one then (`max_key`).
 *    Rows inserted later above it are the default's or the sync trigger's to fill.
 * 2. A batch takes the next `n` keys after `last_key`, runs the UPDATE limited to them, counts the
 *    sessions its row locks hold up, and records its end key in `pgwarden.backfills` — all in one
 *    transaction, so a batch is either done and recorded, or neither (kill -9 included).
 * 3. `n` adapts to the target batch duration; a lock or statement timeout halves it and retries
 *    with backoff within the retry budget. Before a batch it waits while a replica lags or
 *    autovacuum is behind (health.ts), and after one that held sessions up it halves `n` and
 *    waits, saying why each time.
 * Only one run does a backfill at a time (a session advisory lock on its id). Ctrl-C stops after
 * the batch under way; the next run resumes.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { backoffDelay, sleep } from '../migrate/backoff.js';
import type { Actor } from '../migrate/ledger.js';
import { loadParser } from '../sql/parser.js';
import { batchStatements, readRange } from './batch-sql.js';
import { BLOCKED_SQL, type HealthLimits, pauseReason } from './health.js';
import { ensureBackfillTable, readBackfill, recordBatch, startBackfill } from './progress-rows.js';
import { type BackfillUpdate, readBackfillUpdate } from './update-statement.js';
import { findWalkKey, type KeyValue, type WalkKey } from './walk-key.js';

export interface BackfillOptions extends HealthLimits {
  /** Keys per batch, or `auto`: adapted to `targetMs`. */
  batch: 'auto' | number;
  targetMs: number;
  /** Pause between batches. */
  sleepMs: number;
  lockTimeoutMs: number;
  /** How long lock timeouts may be retried, in all. */
  retryBudgetMs: number;
  /** The longest wait for the database's health before the run gives up (progress stays). */
  maxPauseMs: number;
}

export const DEFAULT_BACKFILL_OPTIONS: BackfillOptions = {
  batch: 'auto',
  targetMs: 200,
  sleepMs: 0,
  maxLagMs: 2000,
  vacuumMargin: 10,
  lockTimeoutMs: 500,
  retryBudgetMs: 5 * 60_000,
  maxPauseMs: 10 * 60_000,
};

export interface BackfillSpec {
  /** The progress row's id: `migration:<format>:<id>:<statement>` or `adhoc:<hash>`. */
  id: string;
  sql: string;
  /**
   * `resume` (migrations): a finished backfill is done. `again` (ad hoc): a finished backfill
   * starts over, an unfinished one resumes.
   */
  finished: 'done' | 'again';
}

export type BackfillEvent =
  | {
      type: 'start';
      id: string;
      table: string;
      key: string[];
      rowsTotal: number;
      rowsDone: number;
      resumed: boolean;
    }
  | {
      type: 'batch';
      rowsDone: number;
      rowsTotal: number;
      rowsUpdated: number;
      batchSize: number;
      durationMs: number;
      rowsPerSecond: number;
      etaMs: number | undefined;
    }
  | { type: 'pause'; reason: 'replica-lag' | 'autovacuum-behind' | 'blocking'; detail: string }
  | {
      type: 'retry';
      reason: 'lock-timeout' | 'deadlock' | 'statement-timeout';
      batchSize: number;
      delayMs: number;
    }
  | { type: 'done'; rowsDone: number; rowsUpdated: number; batches: number; durationMs: number };

export interface BackfillContext {
  actor: Actor;
  onEvent?: ((event: BackfillEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Throws when the run must stop (the migration lock was lost); called before every batch. */
  assertLockHeld?: (() => void) | undefined;
  /** Collects the id of every batch's transaction (the deploy's proof of which writes were its own). */
  transactionIds?: string[] | undefined;
}

export interface BackfillResult {
  id: string;
  table: string;
  rowsDone: number;
  rowsUpdated: number;
  batches: number;
  durationMs: number;
  /** It had been finished before this run (a migration's backfill recorded done). */
  alreadyDone: boolean;
}

const MIN_BATCH = 1;
const MAX_BATCH = 100_000;
const FIRST_BATCH = 1000;

/** The checksum that ties a progress row to its statement. */
export function statementChecksum(sql: string): string {
  return `sha256:${createHash('sha256').update(sql).digest('hex')}`;
}

export async function runBackfill(
  client: pg.Client,
  spec: BackfillSpec,
  options: BackfillOptions,
  ctx: BackfillContext,
): Promise<BackfillResult> {
  await loadParser();
  const update = readBackfillUpdate(spec.sql);
  const key = await findWalkKey(client, update);
  await ensureBackfillTable(client);
  const lock = await client.query(
    `SELECT pg_try_advisory_lock(hashtextextended('pgwarden.backfill:' || $1, 0)) AS ok`,
    [spec.id],
  );
  if (!lock.rows[0].ok) {
    throw new PgwardenError(
      'BACKFILL_BUSY',
      `another run is doing the backfill of ${key.display} (${spec.id})`,
      {
        hint: 'Wait for it to finish; its progress is in pgwarden.backfills.',
      },
    );
  }
  try {
    return await walk(client, spec, update, key, options, ctx);
  } finally {
    await client
      .query(`SELECT pg_advisory_unlock(hashtextextended('pgwarden.backfill:' || $1, 0))`, [spec.id])
      .catch(() => undefined);
  }
}

async function walk(
  client: pg.Client,
  spec: BackfillSpec,
  update: BackfillUpdate,
  key: WalkKey,
  options: BackfillOptions,
  ctx: BackfillContext,
): Promise<BackfillResult> {
  const t0 = performance.now();
  const checksum = statementChecksum(update.text);
  let row = await readBackfill(client, spec.id);
  if (row && row.finishedAt === undefined && row.statementChecksum !== checksum) {
    throw new PgwardenError(
      'BACKFILL_INVALID',
      `the backfill ${spec.id} was started by an earlier run with another statement, and is not finished`,
      {
        hint: 'Restore the statement as it was (git) so the run can resume; or delete its row from pgwarden.backfills to start over.',
      },
    );
  }
  if (row?.finishedAt !== undefined && spec.finished === 'done') {
    return {
      id: spec.id,
      table: key.display,
      rowsDone: row.rowsDone,
      rowsUpdated: row.rowsUpdated,
      batches: row.batches,
      durationMs: 0,
      alreadyDone: true,
    };
  }
  if (row && row.finishedAt === undefined && row.keyColumns.join('\0') !== key.columns.join('\0')) {
    throw new PgwardenError(
      'BACKFILL_INVALID',
      `the backfill ${spec.id} walked ${row.keyColumns.join(', ')}; the table's key is now ${key.columns.join(', ')}`,
      { hint: 'Delete its row from pgwarden.backfills to start over on the new key.' },
    );
  }
  const resumed = row !== undefined && row.finishedAt === undefined;
  if (!resumed) {
    const range = await readRange(client, key);
    await startBackfill(
      client,
      {
        id: spec.id,
        relation: key.display,
        statement: update.text,
        statementChecksum: checksum,
        keyColumns: key.columns,
        maxKey: range.maxKey,
        rowsTotal: range.rows,
      },
      ctx.actor,
    );
    row = (await readBackfill(client, spec.id))!;
  }
  const state = row!;
  ctx.onEvent?.({
    type: 'start',
    id: spec.id,
    table: key.display,
    key: key.columns,
    rowsTotal: state.rowsTotal,
    rowsDone: state.rowsDone,
    resumed,
  });
  const statements = batchStatements(update, key);
  let size = options.batch === 'auto' ? FIRST_BATCH : options.batch;
  let last = state.lastKey;
  let done = state.rowsDone;
  let updated = state.rowsUpdated;
  let batches = state.batches;
  let doneThisRun = 0;
  let retryStarted: number | undefined;
  let attempt = 0;
  let finished = state.maxKey === undefined;
  if (finished)
    await inTransaction(client, () =>
      recordBatch(client, spec.id, { lastKey: undefined, keys: 0, updated: 0, finished: true }),
    );
  while (!finished) {
    if (ctx.signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted');
    ctx.assertLockHeld?.();
    await waitForHealth(client, key, options, ctx);
    const started = performance.now();
    let batch: { keys: number; updated: number; blocked: number; end: KeyValue | undefined };
    try {
      batch = await inTransaction(client, async () => {
        await client.query(`SET LOCAL lock_timeout = ${Math.round(options.lockTimeoutMs)}`);
        await client.query(`SET LOCAL statement_timeout = ${Math.max(5000, 25 * options.targetMs)}`);
        const bound = await client.query({
          text: last === undefined ? statements.firstBound : statements.nextBound,
          values: [...(last ?? []), ...state.maxKey!, size],
          rowMode: 'array',
        });
        const end = bound.rows[0] as unknown[] | undefined;
        if (!end) {
          await recordBatch(client, spec.id, { lastKey: undefined, keys: 0, updated: 0, finished: true });
          return { keys: 0, updated: 0, blocked: 0, end: undefined };
        }
        const endKey = end.slice(0, key.columns.length) as KeyValue;
        const keys = Number(end[key.columns.length]);
        const result = await client.query(
          last === undefined ? statements.firstUpdate : statements.nextUpdate,
          [...(last ?? []), ...endKey],
        );
        const blocked = (await client.query(BLOCKED_SQL)).rows[0].n as number;
        const reachedEnd = endKey.join('\0') === state.maxKey!.join('\0');
        await recordBatch(client, spec.id, {
          lastKey: endKey,
          keys,
          updated: result.rowCount ?? 0,
          finished: reachedEnd,
        });
        if (ctx.transactionIds) {
          const id = await client.query(`SELECT txid_current_if_assigned()::text AS id`);
          if (id.rows[0].id) ctx.transactionIds.push(id.rows[0].id);
        }
        return { keys, updated: result.rowCount ?? 0, blocked, end: reachedEnd ? undefined : endKey };
      });
    } catch (error) {
      const reason = retryable(error);
      if (!reason) throw batchFailed(error, key, spec.id);
      retryStarted ??= performance.now();
      if (performance.now() - retryStarted > options.retryBudgetMs) {
        throw new PgwardenError(
          'BACKFILL_FAILED',
          `the backfill of ${key.display} kept hitting its ${reason.replace('-', ' ')} for ${Math.round(options.retryBudgetMs / 1000)} s; the batches done so far stay, the next run resumes`,
          { hint: 'See what holds locks on the table (pgwarden doctor), then run it again.' },
        );
      }
      size = Math.max(MIN_BATCH, Math.floor(size / 2));
      const delayMs = backoffDelay(attempt++, 200, 10_000);
      ctx.onEvent?.({ type: 'retry', reason, batchSize: size, delayMs });
      await sleep(delayMs, ctx.signal);
      continue;
    }
    retryStarted = undefined;
    attempt = 0;
    const durationMs = performance.now() - started;
    batches++;
    done += batch.keys;
    doneThisRun += batch.keys;
    updated += batch.updated;
    finished = batch.end === undefined;
    if (!finished) last = batch.end;
    const elapsed = (performance.now() - t0) / 1000;
    const rate = elapsed > 0 ? doneThisRun / elapsed : 0;
    ctx.onEvent?.({
      type: 'batch',
      rowsDone: done,
      rowsTotal: Math.max(state.rowsTotal, done),
      rowsUpdated: updated,
      batchSize: batch.keys,
      durationMs: Math.round(durationMs),
      rowsPerSecond: Math.round(rate),
      etaMs: rate > 0 ? Math.round((Math.max(0, state.rowsTotal - done) / rate) * 1000) : undefined,
    });
    if (options.batch === 'auto' && batch.keys >= size) size = nextSize(size, durationMs, options.targetMs);
    if (batch.blocked > 0 && !finished) {
      size = Math.max(MIN_BATCH, Math.floor(size / 2));
      ctx.onEvent?.({
        type: 'pause',
        reason: 'blocking',
        detail: `${batch.blocked} session${batch.blocked === 1 ? '' : 's'} waited on the batch's row locks: next batches ${size} rows, after a ${options.targetMs} ms pause`,
      });
      await sleep(options.targetMs, ctx.signal);
    }
    if (options.sleepMs > 0 && !finished) await sleep(options.sleepMs, ctx.signal);
  }
  const durationMs = Math.round(performance.now() - t0);
  ctx.onEvent?.({ type: 'done', rowsDone: done, rowsUpdated: updated, batches, durationMs });
  return {
    id: spec.id,
    table: key.display,
    rowsDone: done,
    rowsUpdated: updated,
    batches,
    durationMs,
    alreadyDone: false,
  };
}

/** The next batch size: towards the target duration, at most doubled or halved at a time. */
export function nextSize(size: number, durationMs: number, targetMs: number): number {
  const ideal = (size * targetMs) / Math.max(durationMs, 1);
  const next = Math.min(size * 2, Math.max(size / 2, ideal));
  return Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, next)));
}

async function waitForHealth(
  client: pg.Client,
  key: WalkKey,
  options: BackfillOptions,
  ctx: BackfillContext,
): Promise<void> {
  const since = performance.now();
  let said: string | undefined;
  for (;;) {
    const pause = await pauseReason(client, key.tableOid, options);
    if (!pause) return;
    if (pause.reason !== said) ctx.onEvent?.({ type: 'pause', ...pause });
    said = pause.reason;
    if (performance.now() - since > options.maxPauseMs) {
      throw new PgwardenError(
        'BACKFILL_FAILED',
        `the backfill of ${key.display} waited ${Math.round(options.maxPauseMs / 1000)} s: ${pause.detail}; the batches done so far stay, the next run resumes`,
        { hint: 'Look at the replica or at autovacuum on the table, then run it again.' },
      );
    }
    await sleep(1000, ctx.signal);
  }
}

async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function retryable(error: unknown): 'lock-timeout' | 'deadlock' | 'statement-timeout' | undefined {
  const code = (error as { code?: string })?.code;
  if (code === '55P03') return 'lock-timeout';
  if (code === '40P01') return 'deadlock';
  if (code === '57014') return 'statement-timeout';
  return undefined;
}

function batchFailed(error: unknown, key: WalkKey, id: string): unknown {
  if (error instanceof PgwardenError) return error;
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined) {
    return new PgwardenError(
      'DB_CONNECTION_LOST',
      `the connection was lost during the backfill of ${key.display}: ${message}; the batches committed before stay, the next run resumes`,
    );
  }
  return new PgwardenError(
    'BACKFILL_FAILED',
    `a batch of the backfill of ${key.display} failed and was rolled back: ${message}`,
    {
      hint: `The batches before it stay committed (pgwarden.backfills, id ${id}); fix the cause and run it again to resume.`,
      details: { sqlstate: code },
    },
  );
}
