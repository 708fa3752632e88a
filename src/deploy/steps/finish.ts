/**
 * A good deploy: recorded with the schema's new fingerprint; then its pre-deploy backup — and any
 * older pre-deploy backup of this database still pinned by a deploy that never finished — is
 * unpinned, so retention applies to it again.
 */
import { readCatalog } from '../../backup/catalog.js';
import { writeManifest } from '../../backup/manifest.js';
import type { DeployRun } from '../context.js';

export async function finish(run: DeployRun): Promise<number | undefined> {
  const deployId = await run.record('started');
  if (run.backup) await unpinPreDeployBackups(run.options.backupDir, run.backup.database.name);
  return deployId;
}

async function unpinPreDeployBackups(dir: string, database: string): Promise<void> {
  const catalog = await readCatalog(dir).catch(() => undefined);
  for (const backup of catalog?.backups ?? []) {
    const m = backup.manifest;
    if (m.pinned && m.reason === 'pre-deploy' && m.database.name === database)
      await writeManifest(dir, { ...m, pinned: false }).catch(() => undefined);
  }
}
