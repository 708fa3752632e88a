/**
 * golang-migrate: `<version>_<name>.up.sql` and, when there is a down, `<version>_<name>.down.sql`
 * (no down file rather than an empty one: an empty down would "roll back" without undoing
 * anything). Versions are UTC `YYYYMMDDHHMMSS` timestamps (`migrate create`'s default format and
 * time zone), Unix seconds when the folder uses `-format unix`, or continue a `-seq` folder's
 * numbers with its zero padding (`000004` after `000003`). The id is the number without padding,
 * as golang-migrate stores it.
 *
 * Outside a transaction: golang-migrate sends a file as one Exec, an implicit transaction when it
 * holds several statements (its README: CREATE INDEX CONCURRENTLY only alone in its file), so such
 * migrations are written one statement per file (`oneQueryPerFile`).
 */
import { join } from 'node:path';
import { checkOrder, type FormatWriter, numberedVersions, sqlText } from './writer.js';

const byNumber = (a: string, b: string) => {
  const x = BigInt(/^\d+/.exec(a)![0]);
  const y = BigInt(/^\d+/.exec(b)![0]);
  return x < y ? -1 : x > y ? 1 : 0;
};

export const golangMigrateWriter: FormatWriter = {
  oneQueryPerFile: true,
  hasDown: true,
  plan(dir, existing, migrations, now) {
    const versions = numberedVersions(existing, migrations.length, now, ['utc-seconds', 'epoch-seconds'], {
      kind: 'utc-seconds',
    });
    const stems = migrations.map((migration, i) => `${versions[i]}_${migration.name}`);
    checkOrder(
      'golang-migrate',
      existing.map((migration) => migration.path),
      stems,
      byNumber,
    );
    return migrations.map((migration, i) => ({
      id: BigInt(versions[i]!).toString(),
      files: [
        { path: join(dir, `${stems[i]}.up.sql`), text: sqlText(migration.up) },
        ...(migration.down === undefined
          ? []
          : [{ path: join(dir, `${stems[i]}.down.sql`), text: sqlText(migration.down) }]),
      ],
    }));
  },
};
