/**
 * Preflight and status, on one connection and without the migration lock, so a restart with
 * nothing pending starts the app at once: the connection, the deploy window, the schema
 * fingerprint against the last deploy's, then what is pending. With migrations pending, a closed
 * window or an unaccepted drift refuses the deploy before anything changes.
 */
import { PgwardenError } from '../../errors/pgwarden-error.js';
import { displayPath } from '../../migrate/source.js';
import { computeStatus, readStatusInputs } from '../../migrate/status.js';
import { openTarget, type Target } from '../../migrate/target.js';
import type { DeployRun } from '../context.js';
import { lastFingerprint } from '../record.js';
import { checkWindow, formatLocal } from '../window.js';

/** Returns the open connection (the caller closes it): a restart records itself on it. */
export async function preflight(run: DeployRun): Promise<Target> {
  const { options } = run;
  let t = Date.now();
  const target = await openTarget(
    { cwd: options.cwd, databaseUrl: options.databaseUrl, ...options.migrations },
    'pgwarden deploy',
  );
  try {
    const window = checkWindow(options.windows, options.now ?? new Date());
    run.format = target.source.format;
    // the history once: for what is pending, and for the fingerprint (which leaves its table out)
    const inputs = await readStatusInputs(target.client, target.source);
    run.historyTable = inputs.history.table;
    if (options.fingerprint) {
      const recorded = await lastFingerprint(target.client);
      run.fingerprintBefore = await options.fingerprint(target.client, run.format, run.historyTable);
      run.drifted = recorded !== undefined && run.fingerprintBefore !== recorded;
    }
    const facts = [
      `PostgreSQL ${target.pgMajor}`,
      `${target.source.format.id} migrations in ${displayPath(options.cwd, target.source.dir)}`,
      window.open ? 'deploy window open' : `deploy window closed: ${window.reason}`,
      run.drifted
        ? `schema changed outside the migrations since the last deploy${options.acceptDrift ? ' (accepted)' : ' (pgwarden drift shows what)'}`
        : undefined,
    ].filter(Boolean);
    run.step('preflight', window.open && !run.drifted ? 'ok' : 'warn', facts.join('; '), t);

    t = Date.now();
    const status = computeStatus(inputs);
    run.pending = status.entries
      .filter((e) => e.state === 'pending' || e.state === 'partial')
      .map((e) => e.id);
    if (run.pending.length === 0) {
      run.step('status', 'ok', 'nothing pending: the schema is up to date', t);
      return target;
    }
    run.step('status', 'ok', `${run.pending.length} pending: ${run.pending.join(', ')}`, t);
    if (!window.open && !options.forceWindow) {
      throw new PgwardenError('DEPLOY_WINDOW_CLOSED', `deploy refused: ${window.reason}`, {
        hint: `${window.next ? `The next allowed time is ${formatLocal(window.next, window.timezone)}. ` : ''}To deploy anyway, pass --force-window "<reason>" (the reason is recorded).`,
        details: { next: window.next?.toISOString() },
      });
    }
    if (run.drifted && !options.acceptDrift) {
      throw new PgwardenError(
        'SCHEMA_DRIFT',
        'deploy refused: the schema changed outside the migrations since the last deploy (its fingerprint differs)',
        {
          hint: 'Run pgwarden drift to see what changed, and undo it or put it in a migration; to deploy with the change kept, pass --accept-drift "<reason>" (the reason is recorded).',
        },
      );
    }
    return target;
  } catch (error) {
    await target.close();
    throw error;
  }
}
