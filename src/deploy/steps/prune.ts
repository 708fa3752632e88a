/** Prune after a successful migrate: retention as `backup prune` applies it; a failure only warns. */
import { pruneBackups } from '../../backup/prune.js';
import type { DeployRun } from '../context.js';

export async function pruneStep(run: DeployRun): Promise<void> {
  const { options } = run;
  const t = Date.now();
  try {
    const pruned = await pruneBackups({
      dir: options.backupDir,
      retentionDays: options.retentionDays,
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
    });
    run.step(
      'prune',
      'ok',
      pruned.delete.length ? `deleted ${pruned.delete.length} old backup(s)` : 'nothing to prune',
      t,
    );
  } catch (error) {
    run.step('prune', 'warn', `prune failed: ${(error as Error).message}`, t);
  }
}
