/**
 * How a migration that stopped is reported: the server's error turned into a pgwarden error naming
 * file, line, statement and what is applied; the lock-timeout (or deadlock) error once the retry
 * budget is spent, with the sessions that were in the way.
 */

import { PgwardenError } from '../errors/pgwarden-error.js';
import { charIndex, lineMapper } from '../sql/lines.js';
import { sanitizeText } from '../sql/quote.js';
import type { ExecuteContext } from './execute.js';
import { logEvent } from './ledger.js';
import { describeSession, sessionWarnings } from './sessions.js';
import { relationsOf, type Step } from './steps.js';
import { connectionLost, isConnectionLost } from './target.js';
import type { Migration, MigrationScript } from './types.js';

/** Appends an event to pgwarden.events (never failing the run), collecting its transaction id. */
export async function note(
  ctx: ExecuteContext,
  event: { kind: string; migrationId: string; detail: Record<string, unknown> },
): Promise<void> {
  const id = await logEvent(ctx.client, { ...event, format: ctx.format.id }, ctx.actor).catch(
    () => undefined,
  );
  if (id) ctx.transactionIds.push(id);
}

/**
 * Sessions holding locks on the step's relations. Those whose transaction began before the
 * attempt are what it waited for; app queries that were merely queued behind it come later and
 * are left out (unless nothing else is found).
 */
export async function blockers(ctx: ExecuteContext, step: Step, attemptStarted?: number): Promise<string[]> {
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

export async function lockTimeoutError(
  ctx: ExecuteContext,
  migration: Migration,
  script: MigrationScript,
  step: Step,
  attempts: number,
  deadlocks: number,
): Promise<PgwardenError> {
  const who = await blockers(ctx, step);
  await note(ctx, {
    kind: 'migration.failed',
    migrationId: migration.id,
    detail: { reason: 'lock-timeout', line: step.line, attempts: attempts + 1, deadlocks },
  });
  const deadlockNote = deadlocks ? `, ${deadlocks} of them ended by a deadlock` : '';
  return new PgwardenError(
    'LOCK_TIMEOUT',
    `${script.path}:${step.line}: ${migration.id} could not get its locks in ${attempts + 1} attempts${deadlockNote} (lock_timeout ${ctx.timeouts.lockTimeoutMs} ms, retry budget ${Math.round(ctx.timeouts.retryBudgetMs / 1000)} s); it was rolled back${who.length ? `. Sessions in the way:\n  ${who.join('\n  ')}` : ''}`,
    {
      hint: 'Find what holds the tables (long queries, idle transactions, a running pg_dump) and run again, or raise migrate.retryBudget.',
      details: { migration: migration.id, line: step.line, blockers: who, deadlocks },
    },
  );
}

/** Turns a server or connection error into a pgwarden error naming file, line, statement and message. */
export async function failure(
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
  await note(ctx, {
    kind: 'migration.failed',
    migrationId: migration.id,
    detail: { line, code: e.code, message: e.message, statement: step.index + 1 },
  });
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

/** A VALID index under the statement's name, built with another definition: nothing can decide for the author. */
export function indexConflict(
  migration: Migration,
  script: MigrationScript,
  step: Step,
  index: { name: string; definition: string },
): PgwardenError {
  return new PgwardenError(
    'MIGRATION_FAILED',
    `${script.path}:${step.line}: ${migration.id}: statement ${step.index + 1} cannot build its index: ${index.name} already exists with another definition\n  existing:  ${sanitizeText(index.definition)}\n  statement: ${step.sql}`,
    {
      hint: `Drop the existing index (DROP INDEX CONCURRENTLY ${index.name}) and run again so the statement builds it, or give the statement's index another name. PostgreSQL prints casts and parentheses it adds, so if the two are the same index written differently, dropping it is what lets the run go on.`,
      details: { migration: migration.id, line: step.line, index: index.name, existing: index.definition },
    },
  );
}
