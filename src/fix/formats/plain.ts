/**
 * pgwarden's plain format: `NNN_name.sql` and, when there is a down, `NNN_name.down.sql`. The
 * numbers continue the folder's sequence with its zero padding (`001` when the folder is empty);
 * a folder numbered with `YYYYMMDDHHMMSS` timestamps gets timestamps. Nothing marks a migration
 * that must run outside a transaction: pgwarden's runner sends each statement PostgreSQL refuses
 * in a transaction block alone, outside any transaction, and runs `-- pgwarden:backfill` UPDATEs
 * in batches of their own.
 */
import { join } from 'node:path';
import { naturalCompare } from '../../lint/files.js';
import { checkOrder, type FormatWriter, numberedVersions, sqlText } from './writer.js';

export const plainWriter: FormatWriter = {
  oneQueryPerFile: false,
  hasDown: true,
  plan(dir, existing, migrations, now) {
    const versions = numberedVersions(existing, migrations.length, now, ['utc-seconds'], {
      kind: 'sequence',
      width: 3,
    });
    const ids = migrations.map((migration, i) => `${versions[i]}_${migration.name}`);
    checkOrder(
      'pgwarden (plain)',
      existing.map((migration) => migration.path),
      ids.map((id) => `${id}.sql`),
      naturalCompare,
    );
    return migrations.map((migration, i) => ({
      id: ids[i]!,
      files: [
        { path: join(dir, `${ids[i]}.sql`), text: sqlText(migration.up) },
        ...(migration.down === undefined
          ? []
          : [{ path: join(dir, `${ids[i]}.down.sql`), text: sqlText(migration.down) }]),
      ],
    }));
  },
};
