/**
 * node-pg-migrate SQL migrations: `<prefix>_<name>.sql` with a `-- Up Migration` and, when there
 * is a down, a `-- Down Migration` section (without it node-pg-migrate refuses to roll back:
 * "User has disabled down migration"). The name's words are joined with `-`, as
 * `node-pg-migrate create` does (bin: `replace(/[ _]+/g, '-')`). The prefix follows the folder:
 * milliseconds since 1970 (the default `timestamp` format, `Date.now()`), `YYYYMMDDHHMMSSmmm` (the
 * `utc` format) or a padded index (the `index` format); an empty folder gets `Date.now()` style.
 *
 * Outside a transaction: impossible for node-pg-migrate SQL migrations. node-pg-migrate wraps every
 * SQL migration in BEGIN/COMMIT (or runs the whole batch in one transaction, its CLI default);
 * only JavaScript migrations can call `pgm.noTransaction()`, and pgwarden runs SQL migrations
 * only. So node-pg-migrate itself fails on CREATE INDEX CONCURRENTLY in any SQL file; pgwarden's
 * runner runs it alone, outside any transaction. Such migrations are still written one statement
 * per file (`oneQueryPerFile`), the closest node-pg-migrate comes to it.
 */
import { join } from 'node:path';
import { compareNodePgMigrateNames } from '../../migrate/formats/node-pg-migrate.js';
import { checkOrder, type FormatWriter, markerError, numberedVersions, sqlText } from './writer.js';

/** sqlMigration.js's marker pattern, for either direction. */
const MARKER = /^\s*--[\s-]*(?:up|down)\s+migration[^\n]*/im;

export const nodePgMigrateWriter: FormatWriter = {
  oneQueryPerFile: true,
  hasDown: true,
  check(sql, what) {
    const line = MARKER.exec(sql)?.[0];
    if (line !== undefined) throw markerError(what, 'node-pg-migrate', line);
  },
  plan(dir, existing, migrations, now) {
    const prefixes = numberedVersions(existing, migrations.length, now, ['epoch-millis', 'utc-millis'], {
      kind: 'epoch-millis',
    });
    const ids = migrations.map((migration, i) => `${prefixes[i]}_${migration.name.replaceAll('_', '-')}`);
    checkOrder(
      'node-pg-migrate',
      existing.map((migration) => migration.path),
      ids.map((id) => `${id}.sql`),
      compareNodePgMigrateNames,
    );
    return migrations.map((migration, i) => {
      const down = migration.down === undefined ? '' : `\n-- Down Migration\n${sqlText(migration.down)}`;
      return {
        id: ids[i]!,
        files: [
          { path: join(dir, `${ids[i]}.sql`), text: `-- Up Migration\n${sqlText(migration.up)}${down}` },
        ],
      };
    });
  },
};
