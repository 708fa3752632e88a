/**
 * Applying (or reverting) one migration script with bounded lock waits:
 * - a script whose statements all run in a transaction runs in ONE transaction with
 *   `SET LOCAL lock_timeout` / `statement_timeout`, the history rows written inside it; on lock
 *   timeout (55P03) or deadlock (40P01) the whole transaction is rolled back and retried with
 *   exponential backoff and jitter until the retry budget is spent;
 * - a script with statements PostgreSQL refuses in a transaction runs in segments: consecutive
 *   transactional statements in one transaction each, the others alone with no transaction open
 *   anywhere; per-statement progress is recorded so a re-run resumes. Before a concurrent index
 *   build, what an interrupted run left is looked at (index-build.ts). A `-- pgwarden:backfill`
 *   UPDATE runs in batches of their own transactions (backfill-step.ts).
 *
 * Fencing (fence.ts): a migration's transaction takes the apply lock and re-reads the history
 * before running anything; a migration run in segments holds the apply lock at session level from
 * that check to its last history write. A migration another run applied meanwhile is skipped.
 * Before every statement, the migration lock is checked (`assertLockHeld`): a lost lock stops the
 * run with LOCK_LOST before it sends anything more.
 *
 * How each transaction is begun, retried and committed (its id collected in `transactionIds`)
 * is transactions.ts.
 */
import type pg from 'pg';
import type { BackfillEvent } from '../backfill/backfill.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { isDisruptive } from '../locks/modes.js';
import { clearBackfills, runBackfillStep } from './backfill-step.js';
import { indexConflict, note } from './failures.js';
import { doneMeanwhile, withSessionApplyLock } from './fence.js';
import { checkExistingIndex } from './index-build.js';
import {
  type Actor,
  clearProgress,
  forgetMigration,
  migrationRecord,
  readProgress,
  recordMigration,
  recordProgress,
} from './ledger.js';
import type { LockHolder } from './lock.js';
import type { MigrationSource } from './source.js';
import type { Step } from './steps.js';
import {
  fenceContext,
  inOwnTransaction,
  inTransactionWithRetry,
  query,
  retryOnLockTimeout,
  runStep,
} from './transactions.js';
import type { HistoryContext, Migration, MigrationFormat, MigrationScript } from './types.js';

export { relationsOf } from './steps.js';

export interface Timeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  retryBudgetMs: number;
}

export type ExecuteEvent =
  | {
      type: 'statement';
      id: string;
      index: number;
      total: number;
      line: number;
      kind: string;
      durationMs: number;
    }
  | {
      type: 'retry';
      id: string;
      /** What ended the attempt: `lock_timeout` (55P03) or a deadlock PostgreSQL broke (40P01). */
      reason: 'lock-timeout' | 'deadlock';
      attempt: number;
      delayMs: number;
      line: number;
      blockers: string[];
    }
  | { type: 'dropped-invalid-index'; id: string; index: string }
  /** A concurrent build of an interrupted run had finished: the index is valid and the same. */
  | { type: 'index-already-built'; id: string; index: string; line: number }
  /** Another run holds the apply lock (it is applying a migration): this one waits. */
  | { type: 'apply-wait'; id: string; holders: LockHolder[]; waitedMs: number }
  /** Progress of a `-- pgwarden:backfill` statement (line) run in batches. */
  | { type: 'backfill'; id: string; line: number; event: BackfillEvent };

export interface ExecuteContext {
  client: pg.Client;
  history: HistoryContext;
  format: MigrationFormat;
  /** The migrations folder: the fence reads the history through it. */
  source: MigrationSource;
  actor: Actor;
  timeouts: Timeouts;
  /** pids of pgwarden's own sessions (the lock connection), never reported as blockers. */
  ownPids: number[];
  /** Collector of the ids of the transactions the runner commits (see `LockedSession.transactionIds`). */
  transactionIds: string[];
  /** Throws LOCK_LOST when the migration lock is lost; called before every statement. */
  assertLockHeld?: (() => void) | undefined;
  onEvent?: ((event: ExecuteEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface ExecuteResult {
  durationMs: number;
  retries: number;
  mode: 'transaction' | 'statements';
  /** Statements skipped because an earlier run completed them. */
  resumedFrom: number;
  /** Why nothing was run: another run applied (or rolled back) the migration meanwhile. */
  skipped?: string;
}

type Direction = 'up' | 'down';

/** Runs `steps` of `migration` (its up or down script) and records the outcome. */
export async function executeMigration(
  ctx: ExecuteContext,
  migration: Migration,
  steps: Step[],
  direction: Direction,
  previous: Migration | undefined,
): Promise<ExecuteResult> {
  const script = direction === 'up' ? migration.up : migration.down!;
  const transactional = script.transaction !== false && steps.every((s) => s.transactional);
  const mode = transactional ? 'transaction' : 'statements';
  const started = new Date();
  const t0 = performance.now();
  let outcome: { retries: number; resumedFrom: number; skipped?: string };
  if (transactional) {
    let attempts = 0;
    const done = await inTransactionWithRetry(
      ctx,
      migration,
      script,
      steps,
      async () => {
        const retriesSoFar = attempts++;
        for (const step of steps) await runStep(ctx, migration, step, steps.length);
        return finish(ctx, migration, direction, previous, started, t0, steps.length, retriesSoFar);
      },
      { fence: direction },
    );
    outcome = { ...done, resumedFrom: 0 };
  } else {
    outcome = await withSessionApplyLock(
      fenceContext(ctx, migration),
      migration,
      () => ctx.assertLockHeld?.(),
      () => inSegments(ctx, migration, script, steps, direction, previous, started, t0),
    );
  }
  const durationMs = Math.round(performance.now() - t0);
  if (outcome.skipped !== undefined) {
    await note(ctx, {
      kind: 'migration.skipped',
      migrationId: migration.id,
      detail: { direction, reason: outcome.skipped },
    });
    return { durationMs, retries: outcome.retries, mode, resumedFrom: 0, skipped: outcome.skipped };
  }
  await note(ctx, {
    kind: direction === 'up' ? 'migration.applied' : 'migration.rolled-back',
    migrationId: migration.id,
    detail: { durationMs, retries: outcome.retries, statements: steps.length, mode },
  });
  return { durationMs, retries: outcome.retries, mode, resumedFrom: outcome.resumedFrom };
}

/**
 * Writes the tool's history and pgwarden's ledger (inside the caller's transaction); returns the
 * transaction's id when the ledger write told it (up).
 */
async function finish(
  ctx: ExecuteContext,
  migration: Migration,
  direction: Direction,
  previous: Migration | undefined,
  started: Date,
  t0: number,
  statements: number,
  retries: number,
  backfills = false,
): Promise<string | undefined> {
  const durationMs = Math.round(performance.now() - t0);
  if (direction === 'up') {
    await ctx.format.history.markApplied(ctx.history, migration, { startedAt: started, durationMs });
    const id = await recordMigration(
      ctx.client,
      migrationRecord(ctx.format.id, migration, {
        status: 'applied',
        startedAt: started,
        durationMs,
        statements,
        lockRetries: retries,
      }),
      ctx.actor,
    );
    await clearProgress(ctx.client, ctx.format.id, migration.id);
    if (backfills) await clearBackfills(ctx, migration);
    return id;
  }
  if (!ctx.format.history.markRolledBack) {
    throw new PgwardenError('USAGE', `${ctx.format.title} has no down migrations`);
  }
  await ctx.format.history.markRolledBack(ctx.history, migration, previous);
  await forgetMigration(ctx.client, ctx.format.id, migration.id);
  if (backfills) await clearBackfills(ctx, migration);
  return undefined;
}

/** Runs a migration statement by statement; the caller holds the apply lock at session level. */
async function inSegments(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  steps: Step[],
  direction: Direction,
  previous: Migration | undefined,
  started: Date,
  t0: number,
): Promise<{ retries: number; resumedFrom: number; skipped?: string }> {
  const skipped = await doneMeanwhile(ctx.client, ctx.source, migration, direction);
  if (skipped !== undefined) return { retries: 0, resumedFrom: 0, skipped };
  const progress =
    direction === 'up' ? await readProgress(ctx.client, ctx.format.id, migration.id) : new Map();
  for (const [index, checksum] of progress) {
    const step = steps[index];
    if (!step || step.checksum !== checksum) {
      throw new PgwardenError(
        'MIGRATIONS_INCONSISTENT',
        `${migration.path}: statement ${index + 1} was applied by an earlier, interrupted run and has been edited since`,
        {
          hint: 'Restore the statement as it was (git), so the run can resume; the statements already applied are not run again.',
        },
      );
    }
  }
  let resumedFrom = 0;
  while (resumedFrom < steps.length && progress.has(resumedFrom)) resumedFrom++;
  if (direction === 'up' && resumedFrom === 0) {
    // committed before anything runs: the tool's "started" state and pgwarden's partial row
    await inOwnTransaction(ctx, async () => {
      await ctx.format.history.markStarted?.(ctx.history, migration, { startedAt: started });
      return recordMigration(
        ctx.client,
        migrationRecord(ctx.format.id, migration, {
          status: 'partial',
          startedAt: started,
          durationMs: undefined,
          statements: steps.length,
          lockRetries: 0,
        }),
        ctx.actor,
      );
    });
  }
  let retries = 0;
  let finished = false;
  let i = resumedFrom;
  const hasBackfill = steps.some((s) => s.backfill);
  while (i < steps.length) {
    const step = steps[i]!;
    if (step.backfill) {
      await runBackfillStep(ctx, migration, step, direction);
      i++;
      continue;
    }
    // a statement of a script without transactions runs in one of its own when PostgreSQL allows
    const ownTransaction = !step.transactional && script.transaction === false && step.acceptsTransaction;
    if (step.transactional || ownTransaction) {
      let end = i + 1;
      while (step.transactional && end < steps.length && steps[end]!.transactional) end++;
      const segment = steps.slice(i, end);
      const last = end === steps.length;
      let attempts = 0;
      try {
        retries += (
          await inTransactionWithRetry(
            ctx,
            migration,
            script,
            steps,
            async () => {
              const retriesSoFar = retries + attempts++;
              let id: string | undefined;
              for (const s of segment) {
                const ms = await runStep(ctx, migration, s, steps.length);
                if (direction === 'up')
                  id = await recordProgress(ctx.client, {
                    format: ctx.format.id,
                    id: migration.id,
                    index: s.index,
                    checksum: s.checksum,
                    durationMs: ms,
                  });
              }
              if (!last) return id;
              return finish(
                ctx,
                migration,
                direction,
                previous,
                started,
                t0,
                steps.length,
                retriesSoFar,
                hasBackfill,
              );
            },
            { partial: i > 0, ...(ownTransaction ? { passThrough: refusedInTransaction } : {}) },
          )
        ).retries;
        finished = last;
      } catch (error) {
        if (!refusedInTransaction(error)) throw error;
        // the lock table thought PostgreSQL accepts it in a transaction block; it does not
        retries += await aloneWithRetry(ctx, migration, script, step, steps.length, direction, i > 0);
      }
      i = end;
    } else {
      retries += await aloneWithRetry(ctx, migration, script, step, steps.length, direction, i > 0);
      i++;
    }
  }
  // after a statement run alone, after an earlier run that stopped just before recording the
  // end, or for a script without statements: the history rows in a transaction of their own
  if (!finished) {
    await inTransactionWithRetry(
      ctx,
      migration,
      script,
      steps,
      () => finish(ctx, migration, direction, previous, started, t0, steps.length, retries, hasBackfill),
      { partial: steps.length > 0 },
    );
  }
  return { retries, resumedFrom };
}

/** SQLSTATE 25001: the statement cannot run inside a transaction block. */
function refusedInTransaction(error: unknown): boolean {
  return (error as { code?: string })?.code === '25001';
}

/** A statement PostgreSQL refuses in a transaction block: sent alone, no transaction open. */
function aloneWithRetry(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  step: Step,
  total: number,
  direction: Direction,
  partial: boolean,
): Promise<number> {
  // waiting is harmless when the statement's locks block no reads or writes (CREATE INDEX
  // CONCURRENTLY waits for old snapshots by design), so only disruptive ones get the lock timeout
  const disruptive =
    step.effects.length === 0 || step.effects.some((e) => e.facts.locks.some((l) => isDisruptive(l.modes)));
  const record = async (durationMs: number) => {
    if (direction !== 'up') return;
    const id = await recordProgress(ctx.client, {
      format: ctx.format.id,
      id: migration.id,
      index: step.index,
      checksum: step.checksum,
      durationMs,
    });
    ctx.transactionIds.push(id);
  };
  const resetTimeouts = async () => {
    await ctx.client.query('RESET lock_timeout').catch(() => undefined);
    await ctx.client.query('RESET statement_timeout').catch(() => undefined);
  };
  return retryOnLockTimeout(ctx, migration, script, total, partial, {
    async attempt() {
      ctx.assertLockHeld?.();
      if (await alreadyBuilt(ctx, migration, script, step)) {
        await record(0);
        return;
      }
      await query(
        ctx,
        `SET lock_timeout = ${disruptive ? Math.round(ctx.timeouts.lockTimeoutMs) : 0}`,
        undefined,
      );
      await query(ctx, `SET statement_timeout = ${Math.round(ctx.timeouts.statementTimeoutMs)}`, undefined);
      const ms = await runStep(ctx, migration, step, total);
      // recorded even if the lock was lost meanwhile: the statement ran, the record says so
      await record(ms);
      await resetTimeouts();
    },
    cleanUp: resetTimeouts,
    stepOf: () => step,
  });
}

/**
 * For a CREATE INDEX run alone: drops an INVALID index an interrupted build left, and tells
 * whether a VALID index with the statement's definition is already there (the statement's own
 * work, finished before its progress was recorded). A valid index with another definition stops
 * the run.
 */
async function alreadyBuilt(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  step: Step,
): Promise<boolean> {
  if (step.kind !== 'IndexStmt') return false;
  const check = await checkExistingIndex(ctx.client, step);
  if (check.action === 'conflict') throw indexConflict(migration, script, step, check.index);
  if (check.action === 'done') {
    ctx.onEvent?.({ type: 'index-already-built', id: migration.id, index: check.index, line: step.line });
    await note(ctx, {
      kind: 'migration.index-already-built',
      migrationId: migration.id,
      detail: { index: check.index, line: step.line, statement: step.index + 1 },
    });
    return true;
  }
  for (const index of check.dropped) {
    ctx.onEvent?.({ type: 'dropped-invalid-index', id: migration.id, index });
    await note(ctx, {
      kind: 'migration.dropped-invalid-index',
      migrationId: migration.id,
      detail: { index },
    });
  }
  return false;
}
