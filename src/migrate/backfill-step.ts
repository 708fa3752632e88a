/**
 * A migration's `-- pgwarden:backfill` UPDATE, run by the backfill engine in batches of their own
 * transactions, while the run holds the migration lock and the apply lock. Its progress row is
 * `migration:<format>:<id>:<direction>:<statement>`; the statement counts as done (statement
 * progress) once the whole range is; the migration's final history write removes the progress
 * rows, so applying it again after a rollback backfills again.
 */
import { type BackfillEvent, DEFAULT_BACKFILL_OPTIONS, runBackfill } from '../backfill/backfill.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import type { ExecuteContext } from './execute.js';
import { note } from './failures.js';
import { recordProgress } from './ledger.js';
import type { Step } from './steps.js';
import { inOwnTransaction } from './transactions.js';
import type { Migration } from './types.js';

/** The progress rows' id prefix of a migration's backfills. */
export function backfillIdPrefix(format: string, migrationId: string): string {
  return `migration:${format}:${migrationId}:`;
}

export async function runBackfillStep(
  ctx: ExecuteContext,
  migration: Migration,
  step: Step,
  direction: 'up' | 'down',
): Promise<void> {
  ctx.assertLockHeld?.();
  const t0 = performance.now();
  const id = `${backfillIdPrefix(ctx.format.id, migration.id)}${direction}:${step.index}`;
  let result: Awaited<ReturnType<typeof runBackfill>>;
  try {
    result = await runBackfill(
      ctx.client,
      { id, sql: step.sql, finished: 'done' },
      {
        ...DEFAULT_BACKFILL_OPTIONS,
        lockTimeoutMs: ctx.timeouts.lockTimeoutMs,
        retryBudgetMs: ctx.timeouts.retryBudgetMs,
        ...step.backfill,
      },
      {
        actor: ctx.actor,
        signal: ctx.signal,
        assertLockHeld: ctx.assertLockHeld,
        transactionIds: ctx.transactionIds,
        onEvent: (event: BackfillEvent) =>
          ctx.onEvent?.({ type: 'backfill', id: migration.id, line: step.line, event }),
      },
    );
  } catch (error) {
    if (!(error instanceof PgwardenError) || error.code === 'INTERRUPTED') throw error;
    throw new PgwardenError(error.code, `${migration.path}:${step.line}: ${error.message}`, {
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (direction === 'up') {
    await inOwnTransaction(ctx, () =>
      recordProgress(ctx.client, {
        format: ctx.format.id,
        id: migration.id,
        index: step.index,
        checksum: step.checksum,
        durationMs: performance.now() - t0,
      }),
    );
  }
  await note(ctx, {
    kind: 'migration.backfill',
    migrationId: migration.id,
    detail: {
      line: step.line,
      table: result.table,
      rows: result.rowsDone,
      updated: result.rowsUpdated,
      batches: result.batches,
      durationMs: result.durationMs,
      ...(result.alreadyDone ? { alreadyDone: true } : {}),
    },
  });
}

/** Removes a migration's backfill progress rows (inside its final history write). */
export async function clearBackfills(ctx: ExecuteContext, migration: Migration): Promise<void> {
  await ctx.client.query(`DELETE FROM pgwarden.backfills WHERE starts_with(id, $1)`, [
    backfillIdPrefix(ctx.format.id, migration.id),
  ]);
}
