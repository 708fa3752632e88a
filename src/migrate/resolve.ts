/**
 * `resolve()`: the explicit, logged way out of a tool's blocking state (a Prisma failed row, the
 * golang-migrate dirty flag, a Flyway failed row, a pgwarden partial migration): the operator
 * inspects the database and records whether the migration is in fact applied or rolled back.
 */
import { PgwardenError } from '../errors/pgwarden-error.js';
import { clearProgress, forgetMigration, logEvent, migrationRecord, recordMigration } from './ledger.js';
import { type LockedSession, locked, type MigrateOptions, prepareRun } from './migrate.js';
import { findMigration } from './source.js';
import { computeStatus, readStatusInputs } from './status.js';
import type { Migration } from './types.js';

export interface ResolveOptions extends Omit<MigrateOptions, 'target'> {
  migration: string;
  as: 'applied' | 'rolled-back';
}

export interface ResolveResult {
  format: string;
  id: string;
  as: 'applied' | 'rolled-back';
  changed: string;
}

export async function resolve(options: ResolveOptions): Promise<ResolveResult> {
  return locked(options, 'pgwarden resolve', async (session) => {
    const { client, source, history } = session.target;
    const m = findMigration(source.migrations, options.migration);
    const status = computeStatus(await readStatusInputs(client, source));
    const entry = status.entries.find((e) => e.id === m.id);
    // a pending migration may be recorded as applied without running it: the baseline of a
    // database whose schema existed before its history (prisma migrate resolve --applied, migrate force)
    const baseline = entry?.state === 'pending' && options.as === 'applied';
    if (entry?.state !== 'failed' && entry?.state !== 'partial' && !baseline) {
      throw new PgwardenError(
        'USAGE',
        `${m.id} is ${entry?.state ?? 'unknown'}: there is nothing to resolve`,
        {
          hint: 'resolve records the outcome of a failed or interrupted migration (--applied or --rolled-back), or marks a pending one applied without running it (--applied); see `pgwarden status`.',
        },
      );
    }
    await prepareRun(session);
    // the tool's own repair first (some tools commit it themselves), then pgwarden's records
    const changed = source.format.history.resolve
      ? await source.format.history.resolve(history, m, options.as)
      : await markWithoutRepair(session, m, options.as);
    await client.query('BEGIN');
    try {
      if (options.as === 'applied') {
        await recordMigration(
          client,
          migrationRecord(source.format.id, m, {
            status: 'applied',
            startedAt: new Date(),
            durationMs: 0,
            statements: 0,
            lockRetries: 0,
          }),
          session.actor,
        );
        await clearProgress(client, source.format.id, m.id);
      } else {
        await forgetMigration(client, source.format.id, m.id);
      }
      await logEvent(
        client,
        {
          kind: 'migration.resolved',
          format: source.format.id,
          migrationId: m.id,
          detail: { as: options.as, was: entry.state, changed },
        },
        session.actor,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return { format: source.format.id, id: m.id, as: options.as, changed };
  });
}

/** For tools without a failed state of their own (a pgwarden partial migration): record or leave unrecorded. */
async function markWithoutRepair(
  session: LockedSession,
  m: Migration,
  as: 'applied' | 'rolled-back',
): Promise<string> {
  const { source, history } = session.target;
  if (as === 'rolled-back') return `left ${m.id} unrecorded in ${source.format.title}'s history`;
  await source.format.history.markApplied(history, m, { startedAt: new Date(), durationMs: 0 });
  return `recorded ${m.id} as applied in ${source.format.title}'s history`;
}
