/**
 * The pre-deploy backup: verified, pinned until the deploy is recorded good, taken with the
 * backup settings `backup create` uses (format, jobs, compression, globals, lock wait).
 */
import { createBackup } from '../../backup/create.js';
import { findClientTools } from '../../db/client-tools.js';
import type { LockedSession } from '../../migrate/migrate.js';
import type { DeployRun } from '../context.js';

export async function preDeployBackup(run: DeployRun, session: LockedSession): Promise<void> {
  const { options } = run;
  const t = Date.now();
  const settings = options.backup ?? {};
  try {
    const tools = await findClientTools(session.target.pgMajor, 'the pre-deploy backup needs it');
    const backup = await createBackup({
      databaseUrl: options.databaseUrl,
      dir: options.backupDir,
      reason: 'pre-deploy',
      pinned: true,
      cwd: options.cwd,
      tools,
      ...(settings.format ? { format: settings.format } : {}),
      ...(settings.jobs !== undefined ? { jobs: settings.jobs } : {}),
      ...(settings.compression !== undefined ? { compression: settings.compression } : {}),
      ...(settings.globals !== undefined ? { globals: settings.globals } : {}),
      ...(settings.lockWaitTimeoutMs !== undefined ? { lockWaitTimeoutMs: settings.lockWaitTimeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    run.backup = backup.manifest;
    run.step(
      'backup',
      'ok',
      `${backup.manifest.id} verified (${backup.manifest.tables.length} tables${settings.format === 'directory' ? ', directory format' : ''}), pinned until this deploy is recorded good`,
      t,
    );
  } catch (error) {
    run.step('backup', 'fail', error instanceof Error ? error.message : String(error), t);
    throw error;
  }
}
