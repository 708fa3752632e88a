/**
 * `backup-age`: the newest verified backup of this database is younger than
 * doctor.backupMaxAgeHours (default 26: a daily backup, with slack). Unverified, failed and
 * damaged backups, and backups of other databases, do not count.
 */

import { readCatalog } from '../../backup/catalog.js';
import { type BackupList, describeCatalog } from '../../backup/list.js';
import { isPgwardenError } from '../../errors/pgwarden-error.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

export const DEFAULT_BACKUP_MAX_AGE_HOURS = 26;

/**
 * The backups of the directory as `backup list` sees them (other databases flagged when
 * connected), or undefined when the directory does not exist.
 */
export async function readBackupList(ctx: DoctorContext): Promise<BackupList | undefined> {
  try {
    const catalog = await readCatalog(ctx.backupDir);
    const database = ctx.client
      ? (await ctx.client.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d
      : null;
    return describeCatalog(catalog, database, ctx.now);
  } catch (error) {
    if (isPgwardenError(error) && error.code === 'PATH_NOT_FOUND') return undefined;
    throw error;
  }
}

export function hours(ms: number): string {
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export const backupAgeCheck: DoctorCheck = {
  id: 'backup-age',
  title: 'Recent verified backup',
  level: 'warn',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const maxHours = ctx.config.doctor?.backupMaxAgeHours ?? DEFAULT_BACKUP_MAX_AGE_HOURS;
    const list = await readBackupList(ctx);
    if (!list) {
      return {
        status: 'fail',
        summary: 'no backups: the backup directory does not exist',
        evidence: [`backup directory: ${ctx.backupDir}`],
        fix: 'pgwarden backup create (and schedule it: deploy only backs up before migrating).',
      };
    }
    const database = list.database!;
    const mine = list.backups.filter((b) => b.database === database);
    const good = mine.filter((b) => b.verified === 'yes' && b.flags.length === 0);
    const newest = good[0];
    if (!newest) {
      return {
        status: 'fail',
        summary: `no verified backup of "${database}"`,
        evidence: [
          `${mine.length} backup(s) of "${database}" in ${list.dir}`,
          ...mine
            .slice(0, 5)
            .map(
              (b) =>
                `${b.id}: ${b.verified === 'no' ? 'never verified' : b.verified === 'failed' ? 'verification failed' : b.flags.join('; ')}`,
            ),
        ],
        fix: 'pgwarden backup create (it verifies what it wrote), or pgwarden backup verify <id>.',
      };
    }
    const evidence = [
      `newest verified: ${newest.id} finished ${newest.finishedAt} (${newest.reason}, verified by ${newest.verifiedBy})`,
      `limit: ${maxHours} h (doctor.backupMaxAgeHours)`,
    ];
    if (newest.ageMs > maxHours * 3_600_000) {
      return {
        status: 'fail',
        summary: `the newest verified backup of "${database}" is ${hours(newest.ageMs)} old (limit ${maxHours} h)`,
        evidence,
        fix: `pgwarden backup create, and schedule it at least every ${maxHours} h (deploy only backs up before migrating).`,
      };
    }
    return {
      status: 'pass',
      summary: `the newest verified backup of "${database}" is ${hours(newest.ageMs)} old`,
      evidence,
    };
  },
};
