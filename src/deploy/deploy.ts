/**
 * `pgwarden deploy`: the pipeline people write by hand, done safely (DESIGN §6), one step per unit
 * (src/deploy/steps/), sharing one `DeployRun`:
 * 1. preflight: connection, deploy window, schema fingerprint, what is pending — without the lock;
 *    nothing pending → health check, record, the app may start (no backup, no lock wait);
 * 2. under the migration lock: status again (another deploy may have done it), lint gate,
 *    verified pre-deploy backup (pinned), migrate;
 * 3. on failure: recover (restore per `restoreOnFailure`, only when no application write can be
 *    lost), record, rethrow;
 * 4. prune; health check; record the deploy as good and unpin its backup.
 * The library never starts the app: the CLI does (and waits for it).
 */
import { DeployRun } from './context.js';
import { healthStep } from './steps/health.js';
import { preflight } from './steps/preflight.js';
import type { DeployOptions, DeployOutcome } from './types.js';

export type {
  DeployBackupSettings,
  DeployEvent,
  DeployOptions,
  DeployOutcome,
  DeployStep,
  Recovery,
  RestorePolicy,
} from './types.js';
export { DEPLOY_STEPS } from './types.js';

export async function deploy(options: DeployOptions): Promise<DeployOutcome> {
  const run = new DeployRun(options);
  const target = await preflight(run);
  try {
    // a restart: checked, recorded on the preflight's connection, and the app may start
    if (run.pending.length === 0) {
      await healthStep(run, target.client);
      return run.outcome('up-to-date', await run.record('up-to-date', { client: target.client }));
    }
  } finally {
    await target.close();
  }

  // what only a deploy with pending migrations needs, loaded now: a restart stays fast
  const [{ underLock }, { recover }, { pruneStep }, { finish }] = await Promise.all([
    import('./steps/under-lock.js'),
    import('./steps/recover.js'),
    import('./steps/prune.js'),
    import('./steps/finish.js'),
  ]);
  try {
    if (!(await underLock(run))) return run.outcome('up-to-date', undefined);
  } catch (error) {
    await recover(run, error);
    throw error;
  }
  await pruneStep(run);
  await healthStep(run);
  return run.outcome('started', await finish(run));
}
