/**
 * `backup list`: the backups of the directory, newest first, with age, size, reason, verification
 * and database; and every other file flagged with the reason it is not a backup of this database
 * (SQLite files, dumps of other databases, unfinished or truncated files, archives never verified).
 */
import { connect } from '../db/connect.js';
import { type Catalog, databaseOf, readCatalog } from './catalog.js';

export interface ListedBackup {
  id: string;
  finishedAt: string;
  ageMs: number;
  size: number;
  reason: string;
  pinned: boolean;
  /**
   * 'yes' verified, and the archive is still what was verified (no flag about it); 'changed'
   * verified, but the archive is missing or differs since (see flags); 'failed' the last
   * verification failed; 'no' never verified
   */
  verified: 'yes' | 'no' | 'failed' | 'changed';
  verifiedBy: 'full-read' | 'restore-test' | null;
  database: string;
  format: string;
  tables: number;
  rows: number;
  /** problems: archive missing or changed, another database than the target */
  flags: string[];
}

export interface FlaggedFile {
  name: string;
  size: number;
  kind: string;
  reason: string;
}

export interface BackupList {
  dir: string;
  /** the connected database, when a URL was given */
  database: string | null;
  backups: ListedBackup[];
  flagged: FlaggedFile[];
}

export async function listBackups(options: {
  dir: string;
  databaseUrl?: string | undefined;
  now?: Date;
}): Promise<BackupList> {
  const catalog = await readCatalog(options.dir);
  const database = options.databaseUrl ? await currentDatabase(options.databaseUrl) : null;
  return describeCatalog(catalog, database, options.now ?? new Date());
}

async function currentDatabase(url: string): Promise<string> {
  const client = await connect({ url, applicationName: 'pgwarden backup list' });
  try {
    return (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describeCatalog(catalog: Catalog, database: string | null, now: Date): BackupList {
  const backups = catalog.backups.map(({ manifest: m, flags }): ListedBackup => {
    const all = [...flags];
    if (database !== null && m.database.name !== database)
      all.push(`a backup of another database ("${m.database.name}")`);
    // verified means verified and intact: never "yes" beside a flag about the archive
    const verified =
      m.verification === null ? 'no' : !m.verification.ok ? 'failed' : flags.length > 0 ? 'changed' : 'yes';
    return {
      id: m.id,
      finishedAt: m.finishedAt,
      ageMs: now.getTime() - Date.parse(m.finishedAt),
      size: m.size,
      reason: m.reason,
      pinned: m.pinned,
      verified,
      verifiedBy: verified === 'yes' ? m.verification!.method : null,
      database: m.database.name,
      format: m.format,
      tables: m.tables.length,
      rows: m.tables.reduce((n, t) => n + t.rows, 0),
      flags: all,
    };
  });
  const flagged = catalog.others.map((file): FlaggedFile => {
    const of = databaseOf(file);
    const other = database !== null && of !== undefined && of !== database;
    return {
      name: file.name,
      size: file.size,
      kind: file.partial ? 'partial' : (file.identity?.kind ?? 'unknown'),
      reason: other ? `${file.reason}; of another database ("${of}")` : file.reason,
    };
  });
  return { dir: catalog.dir, database, backups, flagged };
}
