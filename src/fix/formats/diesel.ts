/**
 * diesel: a directory `<version>_<name>/` holding `up.sql` and, when there is a down, `down.sql`
 * (no empty down.sql: diesel refuses to revert with one, as with none). Directories are named as
 * `diesel migration generate` names them, `YYYY-MM-DD-HHMMSS` in UTC, with the 4-hex-digit counter
 * of newer diesel_cli versions (`-0000`) when the folder's newest migration has one; a folder
 * numbered otherwise (`0001_…`, `20240105093000_…`) continues its own numbers. The id is the
 * version diesel records: the name before its first `_`, without `-`.
 *
 * Outside a transaction: `metadata.toml` with `run_in_transaction = false`. diesel sends `up.sql`
 * as one simple query, an implicit transaction when it holds several statements, so CREATE INDEX
 * CONCURRENTLY works only as the file's sole statement: such migrations are written one statement
 * per directory (`oneQueryPerFile`). The setting covers down.sql too (diesel reverts the same
 * way), which is what DROP INDEX CONCURRENTLY needs.
 */
import { join } from 'node:path';
import { dieselVersion } from '../../migrate/formats/diesel.js';
import { compareUtf8 } from '../../migrate/formats/shared.js';
import { detectStyle, nextVersions } from './ids.js';
import { checkOrder, type FormatWriter, sqlText } from './writer.js';

/** `diesel migration generate`'s directory prefix, with the counter of newer versions. */
const DASHED = /^\d{4}-\d{2}-\d{2}-\d{6}(-[0-9a-f]{4})?_/;

/** `YYYYMMDDHHMMSS` as diesel's `%Y-%m-%d-%H%M%S`. */
function dashed(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}-${stamp.slice(8)}`;
}

export const dieselWriter: FormatWriter = {
  oneQueryPerFile: true,
  hasDown: true,
  plan(dir, existing, migrations, now) {
    // the newest migration shows the folder's style (`diesel setup`'s 00000000000000 does not)
    const newest = existing.filter((migration) => !/^0+$/.test(migration.id)).at(-1);
    const newestDir = newest?.path.split('/')[0] ?? '';
    let prefixes: string[];
    if (newest === undefined || DASHED.test(newestDir) || !/^\d+$/.test(newest.id)) {
      const counter = DASHED.exec(newestDir)?.[1] !== undefined ? '-0000' : '';
      const stamps = existing.map((migration) => migration.id.slice(0, 14)).filter((v) => /^\d{14}$/.test(v));
      prefixes = nextVersions(stamps, migrations.length, now, { kind: 'utc-seconds' }).map(
        (stamp) => `${dashed(stamp)}${counter}`,
      );
    } else {
      const versions = existing.map((migration) => migration.id).filter((id) => /^\d+$/.test(id));
      const style = detectStyle(versions, ['utc-seconds'], { kind: 'utc-seconds' });
      prefixes = nextVersions(versions, migrations.length, now, style);
    }
    const names = migrations.map((migration, i) => `${prefixes[i]}_${migration.name}`);
    const ids = names.map(dieselVersion);
    checkOrder(
      'diesel',
      existing.map((migration) => migration.id),
      ids,
      compareUtf8,
    );
    return migrations.map((migration, i) => {
      const folder = join(dir, names[i]!);
      return {
        id: ids[i]!,
        files: [
          // up.sql first: `pgwarden fix` lints the first file of a migration as its up script
          { path: join(folder, 'up.sql'), text: sqlText(migration.up) },
          ...(migration.down === undefined
            ? []
            : [{ path: join(folder, 'down.sql'), text: sqlText(migration.down) }]),
          ...(migration.transaction
            ? []
            : [{ path: join(folder, 'metadata.toml'), text: 'run_in_transaction = false\n' }]),
        ],
      };
    });
  },
};
