/**
 * Applying (or reverting) one migration script with bounded lock waits:
 * - a script whose statements all run in a transaction runs in ONE transaction with
 *   `SET LOCAL lock_timeout` / `statement_timeout`, the history rows written inside it; on lock
 *   timeout (55P03) the whole transaction is rolled back and retried with exponential backoff and
 *   jitter until the retry budget is spent;
 * - a script with statements PostgreSQL refuses in a transaction runs in segments: consecutive
 *   transactional statements in one transaction each, the others alone with no transaction open
 *   anywhere; per-statement progress is recorded so a re-run resumes, and an INVALID index left
 *   by a failed concurrent build is dropped before the build is retried.
 */
import type pg from 'pg';
import { locksByRelation } from '../analysis/effects.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { isDisruptive } from '../locks/modes.js';
import { charIndex, lineMapper } from '../sql/lines.js';
import { backoffDelay, sleep } from './backoff.js';
import {
  type Actor,
  clearProgress,
  forgetMigration,
  logEvent,
  migrationRecord,
  readProgress,
  recordMigration,
  recordProgress,
} from './ledger.js';
import { describeSession, sessionWarnings } from './sessions.js';
import type { Step } from './steps.js';
import { connectionLost, isConnectionLost } from './target.js';
import type { HistoryContext, Migration, MigrationFormat, MigrationScript } from './types.js';

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
  | { type: 'retry'; id: string; attempt: number; delayMs: number; line: number; blockers: string[] }
  | { type: 'dropped-invalid-index'; id: string; index: string };

export interface ExecuteContext {
  client: pg.Client;
  history: HistoryContext;
  format: MigrationFormat;
  actor: Actor;
  timeouts: Timeouts;
  /** pids of pgwarden's own sessions (the lock connection), never reported as blockers. */
  ownPids: number[];
  onEvent?: ((event: ExecuteEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface ExecuteResult {
  durationMs: number;
  retries: number;
  mode: 'transaction' | 'statements';
  /** Statements skipped because an earlier run completed them. */
  resumedFrom: number;
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
  const started = new Date();
  const t0 = performance.now();
  let retries = 0;
  let resumedFrom = 0;
  if (transactional) {
    let attempts = 0;
    retries = await inTransactionWithRetry(ctx, migration, script, steps, async () => {
      const retriesSoFar = attempts++;
      for (const step of steps) await runStep(ctx, migration, step, steps.length);
      await finish(ctx, migration, direction, previous, started, t0, steps.length, retriesSoFar);
    });
  } else {
    ({ retries, resumedFrom } = await inSegments(
      ctx,
      migration,
      script,
      steps,
      direction,
      previous,
      started,
      t0,
    ));
  }
  const durationMs = Math.round(performance.now() - t0);
  await logEvent(
    ctx.client,
    {
      kind: direction === 'up' ? 'migration.applied' : 'migration.rolled-back',
      format: ctx.format.id,
      migrationId: migration.id,
      detail: {
        durationMs,
        retries,
        statements: steps.length,
        mode: transactional ? 'transaction' : 'statements',
      },
    },
    ctx.actor,
  ).catch(() => undefined);
  return { durationMs, retries, mode: transactional ? 'transaction' : 'statements', resumedFrom };
}

/** Writes the tool's history and pgwarden's ledger (inside the caller's transaction). */
async function finish(
  ctx: ExecuteContext,
  migration: Migration,
  direction: Direction,
  previous: Migration | undefined,
  started: Date,
  t0: number,
  statements: number,
  retries: number,
): Promise<void> {
  const durationMs = Math.round(performance.now() - t0);
  if (direction === 'up') {
    await ctx.format.history.markApplied(ctx.history, migration, { startedAt: started, durationMs });
    await recordMigration(
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
  } else {
    if (!ctx.format.history.markRolledBack) {
      throw new PgwardenError('USAGE', `${ctx.format.title} has no down migrations`);
    }
    await ctx.format.history.markRolledBack(ctx.history, migration, previous);
    await forgetMigration(ctx.client, ctx.format.id, migration.id);
  }
}

/** BEGIN; SET LOCAL timeouts; body; COMMIT — retried as a whole on lock timeout. Returns the retry count. */
function inTransactionWithRetry(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  steps: Step[],
  body: () => Promise<void>,
  /** Statements of this migration already committed (by earlier segments or an earlier run). */
  partial = false,
): Promise<number> {
  return retryOnLockTimeout(ctx, migration, script, steps.length, partial, {
    async attempt() {
      await query(ctx, 'BEGIN', undefined);
      await query(ctx, `SET LOCAL lock_timeout = ${Math.round(ctx.timeouts.lockTimeoutMs)}`, undefined);
      await query(
        ctx,
        `SET LOCAL statement_timeout = ${Math.round(ctx.timeouts.statementTimeoutMs)}`,
        undefined,
      );
      await body();
      await query(ctx, 'COMMIT', undefined);
    },
    async cleanUp() {
      await ctx.client.query('ROLLBACK').catch(() => undefined);
    },
    stepOf: (error) => (error as { step?: Step }).step,
  });
}

/**
 * Runs `work.attempt` until it succeeds; after a lock timeout (55P03) waits with exponential
 * backoff and jitter and tries again, within the retry budget. Returns the number of retries.
 */
async function retryOnLockTimeout(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  total: number,
  partialPossible: boolean,
  work: {
    attempt(): Promise<void>;
    cleanUp(): Promise<void>;
    stepOf(error: unknown): Step | undefined;
  },
): Promise<number> {
  const deadline = Date.now() + ctx.timeouts.retryBudgetMs;
  for (let attempt = 0; ; attempt++) {
    const attemptStarted = performance.now();
    try {
      await work.attempt();
      return attempt;
    } catch (error) {
      await work.cleanUp();
      const step = work.stepOf(error);
      if ((error as { code?: string }).code !== '55P03' || !step) {
        throw await failure(ctx, migration, script, error, total, partialPossible);
      }
      const delay = backoffDelay(attempt, 250, 15_000);
      if (Date.now() + delay >= deadline) throw await lockTimeoutError(ctx, migration, script, step, attempt);
      ctx.onEvent?.({
        type: 'retry',
        id: migration.id,
        attempt: attempt + 1,
        delayMs: delay,
        line: step.line,
        blockers: await blockers(ctx, step, attemptStarted),
      });
      await logEvent(
        ctx.client,
        {
          kind: 'migration.lock-timeout',
          format: ctx.format.id,
          migrationId: migration.id,
          detail: { attempt: attempt + 1, line: step.line, delayMs: delay },
        },
        ctx.actor,
      ).catch(() => undefined);
      await sleep(delay, ctx.signal);
    }
  }
}

async function inSegments(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  steps: Step[],
  direction: Direction,
  previous: Migration | undefined,
  started: Date,
  t0: number,
): Promise<{ retries: number; resumedFrom: number }> {
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
    await ctx.format.history.markStarted?.(ctx.history, migration, { startedAt: started });
    await recordMigration(
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
  }
  let retries = 0;
  let finished = false;
  let i = resumedFrom;
  while (i < steps.length) {
    const step = steps[i]!;
    if (step.transactional && script.transaction !== false) {
      let end = i;
      while (end < steps.length && steps[end]!.transactional) end++;
      const segment = steps.slice(i, end);
      const last = end === steps.length;
      let attempts = 0;
      retries += await inTransactionWithRetry(
        ctx,
        migration,
        script,
        steps,
        async () => {
          const retriesSoFar = retries + attempts++;
          for (const s of segment) {
            const ms = await runStep(ctx, migration, s, steps.length);
            if (direction === 'up')
              await recordProgress(ctx.client, {
                format: ctx.format.id,
                id: migration.id,
                index: s.index,
                checksum: s.checksum,
                durationMs: ms,
              });
          }
          if (last)
            await finish(ctx, migration, direction, previous, started, t0, steps.length, retriesSoFar);
        },
        i > 0,
      );
      finished = last;
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
      () => finish(ctx, migration, direction, previous, started, t0, steps.length, retries),
      steps.length > 0,
    );
  }
  return { retries, resumedFrom };
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
  return retryOnLockTimeout(ctx, migration, script, total, partial, {
    async attempt() {
      await dropInvalidIndex(ctx, migration, step);
      await query(
        ctx,
        `SET lock_timeout = ${disruptive ? Math.round(ctx.timeouts.lockTimeoutMs) : 0}`,
        undefined,
      );
      await query(ctx, `SET statement_timeout = ${Math.round(ctx.timeouts.statementTimeoutMs)}`, undefined);
      const ms = await runStep(ctx, migration, step, total);
      await query(ctx, 'RESET lock_timeout', undefined);
      await query(ctx, 'RESET statement_timeout', undefined);
      if (direction === 'up') {
        await recordProgress(ctx.client, {
          format: ctx.format.id,
          id: migration.id,
          index: step.index,
          checksum: step.checksum,
          durationMs: ms,
        });
      }
    },
    async cleanUp() {
      await ctx.client.query('RESET lock_timeout').catch(() => undefined);
      await ctx.client.query('RESET statement_timeout').catch(() => undefined);
    },
    stepOf: () => step,
  });
}

/** A failed CREATE INDEX CONCURRENTLY leaves an INVALID index; a retry (even with IF NOT EXISTS) must not keep it. */
async function dropInvalidIndex(ctx: ExecuteContext, migration: Migration, step: Step): Promise<void> {
  if (step.kind !== 'IndexStmt') return;
  const name = indexName(step);
  if (!name) return;
  const { rows } = await ctx.client.query(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND NOT i.indisvalid
        AND CASE WHEN $2::text IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = $2 END`,
    [name.name, name.schema ?? null],
  );
  for (const row of rows) {
    await ctx.client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${row.name}`);
    ctx.onEvent?.({ type: 'dropped-invalid-index', id: migration.id, index: row.name });
    await logEvent(
      ctx.client,
      {
        kind: 'migration.dropped-invalid-index',
        format: ctx.format.id,
        migrationId: migration.id,
        detail: { index: row.name },
      },
      ctx.actor,
    ).catch(() => undefined);
  }
}

function indexName(step: Step): { schema: string | undefined; name: string } | undefined {
  const node = step.node;
  if (!node?.idxname) return undefined;
  return { schema: node.relation?.schemaname, name: node.idxname };
}

async function runStep(
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

/** Runs SQL; errors carry the step they came from. */
async function query(ctx: ExecuteContext, sql: string, step: Step | undefined): Promise<void> {
  if (ctx.signal?.aborted) throw new PgwardenError('INTERRUPTED', 'interrupted');
  try {
    await ctx.client.query(sql);
  } catch (error) {
    if (error && typeof error === 'object') Object.assign(error, { step });
    throw error;
  }
}

/**
 * Sessions holding locks on the step's relations. Those whose transaction began before the
 * attempt are what it waited for; app queries that were merely queued behind it come later and
 * are left out (unless nothing else is found).
 */
async function blockers(ctx: ExecuteContext, step: Step, attemptStarted?: number): Promise<string[]> {
  const relations = relationsOf([step]);
  try {
    const sessions = (
      await sessionWarnings(ctx.client, relations, {
        excludePids: ctx.ownPids,
        longTransactionSeconds: 3600 * 24 * 365,
      })
    ).filter((s) => s.reason !== 'long-transaction');
    // ages by the server's clock against the attempt's age by ours: no clock skew involved
    const attemptAge = attemptStarted === undefined ? undefined : performance.now() - attemptStarted;
    const before =
      attemptAge === undefined
        ? []
        : sessions.filter((s) => s.transactionAgeMs !== null && s.transactionAgeMs > attemptAge);
    return (before.length ? before : sessions).map(describeSession);
  } catch {
    return [];
  }
}

async function lockTimeoutError(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  step: Step,
  attempts: number,
): Promise<PgwardenError> {
  const who = await blockers(ctx, step);
  await logEvent(
    ctx.client,
    {
      kind: 'migration.failed',
      format: ctx.format.id,
      migrationId: migration.id,
      detail: { reason: 'lock-timeout', line: step.line, attempts: attempts + 1 },
    },
    ctx.actor,
  ).catch(() => undefined);
  return new PgwardenError(
    'LOCK_TIMEOUT',
    `${script.path}:${step.line}: ${migration.id} could not get its locks in ${attempts + 1} attempts (lock_timeout ${ctx.timeouts.lockTimeoutMs} ms, retry budget ${Math.round(ctx.timeouts.retryBudgetMs / 1000)} s); it was rolled back${who.length ? `. Sessions in the way:\n  ${who.join('\n  ')}` : ''}`,
    {
      hint: 'Find what holds the tables (long queries, idle transactions, a running pg_dump) and run again, or raise migrate.retryBudget.',
      details: { migration: migration.id, line: step.line, blockers: who },
    },
  );
}

/** Turns a server or connection error into a pgwarden error naming file, line, statement and message. */
async function failure(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  error: unknown,
  total: number,
  partialPossible = false,
): Promise<Error> {
  if (error instanceof PgwardenError) return error;
  const step = (error as { step?: Step }).step;
  if (ctx.signal?.aborted) {
    return new PgwardenError(
      'INTERRUPTED',
      `interrupted while running ${script.path}${step ? ` (statement at line ${step.line})` : ''}: ${
        partialPossible
          ? 'the statements before it are applied and recorded; the next run resumes'
          : 'the migration was rolled back, nothing of it is applied'
      }`,
    );
  }
  if (isConnectionLost(error)) {
    return connectionLost(
      error,
      `while running ${migration.path}${step ? ` (statement at line ${step.line})` : ''}`,
    );
  }
  const e = error as { message?: string; code?: string; position?: string; detail?: string; hint?: string };
  if (!step) return error instanceof Error ? error : new Error(String(error));
  // the server counts the error position in characters of the statement it was sent
  const line = e.position
    ? lineMapper(script)(step.fileOffset - script.offset + charIndex(step.sql, Number(e.position) - 1))
    : step.line;
  const sql = step.sql.length > 300 ? `${step.sql.slice(0, 300)}…` : step.sql;
  await logEvent(
    ctx.client,
    {
      kind: 'migration.failed',
      format: ctx.format.id,
      migrationId: migration.id,
      detail: { line, code: e.code, message: e.message, statement: step.index + 1 },
    },
    ctx.actor,
  ).catch(() => undefined);
  const rolledBack = partialPossible
    ? `statements before it are applied and recorded; the next run resumes at this statement`
    : 'the migration was rolled back, nothing of it is applied';
  return new PgwardenError(
    'MIGRATION_FAILED',
    `${script.path}:${line}: ${migration.id} failed at statement ${step.index + 1} of ${total}: ${e.message}${e.detail ? `\n  detail: ${e.detail}` : ''}\n  statement: ${sql}\n  ${rolledBack}`,
    {
      ...(e.hint
        ? { hint: e.hint }
        : e.code === '42P07' || e.code === '42710'
          ? {
              hint: `If the database had this schema before its migration history, record the migration without running it: pgwarden resolve ${migration.id} --applied`,
            }
          : {}),
      details: {
        migration: migration.id,
        path: script.path,
        line,
        statement: sql,
        sqlstate: e.code,
        serverMessage: e.message,
      },
      cause: error,
    },
  );
}

/** The relations (schema.name) the steps lock, from the lock table's facts. */
export function relationsOf(steps: readonly Step[]): string[] {
  return locksByRelation(steps.flatMap((step) => step.effects)).map((lock) => lock.relation);
}
