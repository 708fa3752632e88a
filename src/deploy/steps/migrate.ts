/**
 * The migrate step, under the migration lock the deploy already holds: the runner applies the
 * pending migrations; the deploy keeps which ones it applied (also when a later one fails), the
 * runner's transaction ids (the deploy's own writes, for the recovery's proof), and, on failure,
 * which migrations were left partly applied.
 */
import { type LockedSession, migrateLocked } from '../../migrate/migrate.js';
import { computeStatus, readStatusInputs } from '../../migrate/status.js';
import type { DeployRun } from '../context.js';

export async function migrateStep(run: DeployRun, session: LockedSession): Promise<void> {
  const { options } = run;
  const t = Date.now();
  try {
    const result = await migrateLocked(session, {
      cwd: options.cwd,
      databaseUrl: options.databaseUrl,
      ...options.migrations,
      timeouts: options.timeouts,
      allowContract: options.allowContract,
      contractMinAgeMs: options.contractMinAgeMs,
      onEvent: (event) => {
        if (event.type === 'migration-done') run.migrated.push(event.id);
        options.onEvent?.({ type: 'migrate', event });
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const stopped = result.stoppedBefore
      ? `; stopped before the contract step ${result.stoppedBefore.id}: ${result.stoppedBefore.reason}`
      : '';
    run.step('migrate', 'ok', `applied ${run.migrated.length}: ${run.migrated.join(', ')}${stopped}`, t);
  } catch (error) {
    run.step('migrate', 'fail', error instanceof Error ? error.message.split('\n')[0]! : String(error), t);
    const { client, source } = session.target;
    const status = await readStatusInputs(client, source).catch(() => undefined);
    if (status)
      run.partial = computeStatus(status)
        .entries.filter((e) => e.state === 'partial')
        .map((e) => e.id);
    throw error;
  } finally {
    run.transactionIds = [...session.transactionIds];
  }
}
