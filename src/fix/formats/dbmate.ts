/**
 * dbmate: `<version>_<name>.sql` with a `-- migrate:up` and a `-- migrate:down` section (dbmate
 * requires both markers; the down section stays empty when there is no down). Versions are UTC
 * `YYYYMMDDHHMMSS` timestamps as `dbmate new` writes them, or continue the folder's own numbers.
 *
 * Outside a transaction: `-- migrate:up transaction:false` (and the same on the down marker, whose
 * DROP INDEX CONCURRENTLY needs it as much). dbmate sends a section as one Exec, which PostgreSQL
 * runs as one implicit transaction when it holds several statements, so CREATE INDEX CONCURRENTLY
 * works only as the section's sole statement (amacneil/dbmate#126, #182, #285): such migrations
 * are written one statement per file (`oneQueryPerFile`).
 */
import { join } from 'node:path';
import { compareUtf8 } from '../../migrate/formats/shared.js';
import { checkOrder, type FormatWriter, markerError, numberedVersions, sqlText } from './writer.js';

/** dbmate's directive pattern (see src/migrate/formats/dbmate.ts), at any line start. */
const DIRECTIVE = /^--[\t\n\f\r ]*migrate:(?:up|down)(?:[\t\n\f\r ]|$)[^\n]*/m;

export const dbmateWriter: FormatWriter = {
  oneQueryPerFile: true,
  hasDown: true,
  check(sql, what) {
    const line = DIRECTIVE.exec(sql)?.[0];
    if (line !== undefined) throw markerError(what, 'dbmate', line);
  },
  plan(dir, existing, migrations, now) {
    const versions = numberedVersions(existing, migrations.length, now, ['utc-seconds'], {
      kind: 'utc-seconds',
    });
    const files = migrations.map((migration, i) => `${versions[i]}_${migration.name}.sql`);
    checkOrder(
      'dbmate',
      existing.map((migration) => migration.path),
      files,
      compareUtf8,
    );
    return migrations.map((migration, i) => {
      const options = migration.transaction ? '' : ' transaction:false';
      const down = migration.down === undefined ? '' : sqlText(migration.down);
      return {
        id: versions[i]!,
        files: [
          {
            path: join(dir, files[i]!),
            text: `-- migrate:up${options}\n${sqlText(migration.up)}\n-- migrate:down${options}\n${down}`,
          },
        ],
      };
    });
  },
};
