/**
 * `backup-files`: files in the backup directory that are not backups of this database — SQLite
 * files, dumps of other databases, unfinished or truncated files, archives without a manifest —
 * are listed with the reason (as `backup list` flags them): a restore under pressure should not
 * have to tell them apart.
 */
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { readBackupList } from './backup-age.js';
import { capped } from './migrations.js';

export const backupFilesCheck: DoctorCheck = {
  id: 'backup-files',
  title: 'Backup directory holds only backups of this database',
  level: 'warn',
  // without a connection the foreign files are still found; other databases' backups are not
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const list = await readBackupList(ctx);
    if (!list) return { status: 'pass', summary: 'no backup directory yet: nothing in it', evidence: [] };
    const found = [
      ...list.flagged.map((f) => `${f.name}: ${f.reason}`),
      ...list.backups.filter((b) => b.flags.length > 0).map((b) => `${b.id}: ${b.flags.join('; ')}`),
    ];
    const evidence =
      list.database === null
        ? ['not connected: backups of other databases are not told apart from this one’s']
        : [];
    const of = list.database === null ? 'this database' : `"${list.database}"`;
    if (found.length === 0) {
      return {
        status: 'pass',
        summary: `${list.backups.length} backup(s) of ${of}, nothing else`,
        evidence,
      };
    }
    return {
      status: 'fail',
      summary: `${found.length} file(s) in ${list.dir} are not good backups of ${of}`,
      evidence: [...evidence, ...capped(found)],
      fix: 'Move them out of the backup directory (restore and prune work on what is in it) or delete them; pgwarden backup prune removes unfinished .partial files after a day.',
    };
  },
};
