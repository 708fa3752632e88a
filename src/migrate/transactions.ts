/**
 * How the runner runs its transactions on the work connection: BEGIN with `SET LOCAL` timeouts
 * (and, for a fenced migration, the apply lock and the history check) in one round trip; retries
 * after a lock timeout (55P03) or a deadlock (40P01) with backoff and jitter within the retry
 * budget, and while another run holds the apply lock; COMMIT after checking the migration lock,
 * with the transaction's id collected just before. Every statement goes through `query`, which
 * checks the migration lock and Ctrl-C first.
 */
import type pg from 'pg';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { backoffDelay, sleep } from './backoff.js';
import type { ExecuteContext } from './execute.js';
import { blockers, failure, lockTimeoutError, note } from './failures.js';
import {
  ApplyLockBusy,
  ApplyWait,
  doneMeanwhile,
  type FenceContext,
  TRY_APPLY_LOCK_IN_TRANSACTION,
} from './fence.js';
import type { Step } from './steps.js';
import type { Migration, MigrationScript } from './types.js';

/** What the fence needs, from the runner's context. */
export function fenceContext(ctx: ExecuteContext, migration: Migration): FenceContext {
  return {
    client: ctx.client,
    source: ctx.source,
    retryBudgetMs: ctx.timeouts.retryBudgetMs,
    onWait: (holders, waitedMs) => ctx.onEvent?.({ type: 'apply-wait', id: migration.id, holders, waitedMs }),
    signal: ctx.signal,
  };
}

/**
 * Collects the transaction's id and commits; the lock is checked first. `knownId` is the id a
 * write of the transaction already returned; otherwise it is read (`txid_current_if_assigned()`,
 * none when the transaction wrote nothing).
 */
async function commit(ctx: ExecuteContext, knownId?: string): Promise<void> {
  ctx.assertLockHeld?.();
  const id = knownId ?? (await ctx.client.query('SELECT txid_current_if_assigned()::text AS id')).rows[0].id;
  if (id) ctx.transactionIds.push(id);
  await ctx.client.query('COMMIT');
}

interface TransactionOptions {
  /** Statements of this migration already committed (by earlier segments or an earlier run). */
  partial?: boolean;
  /** Take the apply lock and check the history first; skip the migration if it is done. */
  fence?: 'up' | 'down';
  /** Errors handed back as they are, for the caller to handle (no retry, no report). */
  passThrough?: (error: unknown) => boolean;
}

/**
 * BEGIN; SET LOCAL timeouts; [apply lock and history check;] body; COMMIT — retried as a whole
 * on lock timeout or deadlock. Returns the retry count, and why it was skipped if it was.
 */
export async function inTransactionWithRetry(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  steps: Step[],
  /** Returns the transaction's id when one of its writes told it. */
  body: () => Promise<string | undefined>,
  options: TransactionOptions = {},
): Promise<{ retries: number; skipped?: string }> {
  let skipped: string | undefined;
  const retries = await retryOnLockTimeout(ctx, migration, script, steps.length, options.partial ?? false, {
    async attempt() {
      skipped = undefined;
      // one round trip: the transaction, its timeouts and (fenced) the apply lock
      const begun = await query(
        ctx,
        `BEGIN; SET LOCAL lock_timeout = ${Math.round(ctx.timeouts.lockTimeoutMs)}; SET LOCAL statement_timeout = ${Math.round(ctx.timeouts.statementTimeoutMs)}${options.fence ? `; ${TRY_APPLY_LOCK_IN_TRANSACTION}` : ''}`,
        undefined,
      );
      if (options.fence) {
        if (!(begun as pg.QueryResult[]).at(-1)!.rows[0].ok) throw new ApplyLockBusy();
        skipped = await doneMeanwhile(ctx.client, ctx.source, migration, options.fence);
        if (skipped !== undefined) {
          await ctx.client.query('ROLLBACK');
          return;
        }
      }
      await commit(ctx, await body());
    },
    async cleanUp() {
      await ctx.client.query('ROLLBACK').catch(() => undefined);
    },
    stepOf: (error) => (error as { step?: Step }).step,
    ...(options.passThrough ? { passThrough: options.passThrough } : {}),
  });
  return { retries, ...(skipped !== undefined ? { skipped } : {}) };
}

/** A transaction without retries or timeouts, for history writes that run no migration SQL. */
export async function inOwnTransaction(
  ctx: ExecuteContext,
  body: () => Promise<string | undefined>,
): Promise<void> {
  await query(ctx, 'BEGIN', undefined);
  try {
    await commit(ctx, await body());
  } catch (error) {
    await ctx.client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

const RETRIED: Record<string, 'lock-timeout' | 'deadlock'> = { '55P03': 'lock-timeout', '40P01': 'deadlock' };

/**
 * Runs `work.attempt` until it succeeds; after a lock timeout (55P03) or a deadlock (40P01) waits
 * with exponential backoff and jitter and tries again, within the retry budget; while another run
 * holds the apply lock, polls for it (`ApplyWait`). Returns the number of lock retries.
 */
export async function retryOnLockTimeout(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  total: number,
  partialPossible: boolean,
  work: {
    attempt(): Promise<void>;
    cleanUp(): Promise<void>;
    stepOf(error: unknown): Step | undefined;
    passThrough?(error: unknown): boolean;
  },
): Promise<number> {
  const deadline = Date.now() + ctx.timeouts.retryBudgetMs;
  let applyWait: ApplyWait | undefined;
  let deadlocks = 0;
  for (let attempt = 0; ; ) {
    const attemptStarted = performance.now();
    try {
      await work.attempt();
      return attempt;
    } catch (error) {
      await work.cleanUp();
      if (error instanceof ApplyLockBusy) {
        applyWait ??= new ApplyWait(fenceContext(ctx, migration), migration);
        await applyWait.next();
        continue;
      }
      if (work.passThrough?.(error)) throw error;
      const step = work.stepOf(error);
      const reason = RETRIED[(error as { code?: string }).code ?? ''];
      if (!reason || !step) throw await failure(ctx, migration, script, error, total, partialPossible);
      if (reason === 'deadlock') deadlocks++;
      const delay = backoffDelay(attempt, 250, 15_000);
      if (Date.now() + delay >= deadline)
        throw await lockTimeoutError(ctx, migration, script, step, attempt, deadlocks);
      ctx.onEvent?.({
        type: 'retry',
        id: migration.id,
        reason,
        attempt: attempt + 1,
        delayMs: delay,
        line: step.line,
        blockers: await blockers(ctx, step, attemptStarted),
      });
      await note(ctx, {
        kind: reason === 'deadlock' ? 'migration.deadlock' : 'migration.lock-timeout',
        migrationId: migration.id,
        detail: { attempt: attempt + 1, line: step.line, delayMs: delay },
      });
      await sleep(delay, ctx.signal);
      attempt++;
    }
  }
}

export async function runStep(
  ctx: ExecuteContext,
  migration: Migration,
  step: Step,
  total: number,
): Promise<number> {
  const t = performance.now();
  await query(ctx, step.sql, step);
  const ms = performance.now() - t;
  ctx.onEvent?.({
    type: 'statement',
    id: migration.id,
    index: step.index,
    total,
    line: step.line,
    kind: step.kind,
    durationMs: Math.round(ms),
  });
  return ms;
}

/**
 * Runs SQL after checking the migration lock and Ctrl-C; errors carry the step they came from.
 * Several statements in `sql` give one result each.
 */
export async function query(
  ctx: ExecuteContext,
  sql: string,
  step: Step | undefined,
): Promise<pg.QueryResult | pg.QueryResult[]> {
  if (ctx.signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted');
  ctx.assertLockHeld?.();
  try {
    return await ctx.client.query(sql);
  } catch (error) {
    if (error && typeof error === 'object') Object.assign(error, { step });
    throw error;
  }
}
