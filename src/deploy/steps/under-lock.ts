/**
 * The steps that hold the migration lock: status again (another deploy may have applied them while
 * this one waited), the lint gate, the pre-deploy backup, migrate. False when nothing was left to do.
 */
import { locked } from '../../migrate/migrate.js';
import { computeStatus, readStatusInputs } from '../../migrate/status.js';
import type { DeployRun } from '../context.js';
import { preDeployBackup } from './backup.js';
import { lintGate } from './lint-gate.js';
import { migrateStep } from './migrate.js';

export function underLock(run: DeployRun): Promise<boolean> {
  const { options } = run;
  return locked(
    {
      cwd: options.cwd,
      databaseUrl: options.databaseUrl,
      ...options.migrations,
      timeouts: options.timeouts,
      allowUncommitted: options.allowUncommitted === true,
      onEvent: (event) => options.onEvent?.({ type: 'migrate', event }),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    'pgwarden deploy',
    async (session) => {
      run.gitCommit = session.gitCommit;
      const t = Date.now();
      const { client, source } = session.target;
      const pending = computeStatus(await readStatusInputs(client, source))
        .entries.filter((e) => e.state === 'pending' || e.state === 'partial')
        .map((e) => e.id);
      if (pending.length === 0) {
        run.step('status', 'ok', 'another deploy applied them meanwhile: nothing pending', t);
        return false;
      }
      await lintGate(run, session, pending);
      await preDeployBackup(run, session);
      await migrateStep(run, session);
      return true;
    },
  );
}
