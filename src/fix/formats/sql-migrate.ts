/**
 * sql-migrate: `<version>-<name>.sql` with a `-- +migrate Up` section and, when there is a down, a
 * `-- +migrate Down` section (no Down line rather than an empty one: an empty down would "roll
 * back" without undoing anything; pgwarden refuses to roll back a file without one). The id is
 * the file name. Versions are UTC `YYYYMMDDHHMMSS` timestamps, the form `sql-migrate new` writes
 * (it takes the local time), or continue a numbered folder (`5_…` after `4_…`, with its zero
 * padding); the separator after the version follows the newest file (`-` as `sql-migrate new`
 * writes it, or `_`).
 *
 * Outside a transaction: `notransaction` on the Up line (and on the Down line, whose DROP INDEX
 * CONCURRENTLY needs it as much). sql-migrate sends each statement as an Exec of its own, so with
 * `notransaction` every statement runs alone in autocommit and a migration of several statements,
 * CREATE INDEX CONCURRENTLY among them, works as one file (`oneQueryPerFile: false`). For
 * sql-migrate to cut the SQL where PostgreSQL's grammar does, each statement starts on a line of
 * its own, and one that its line rule would cut elsewhere (a line ending in `;` inside a body, no
 * `;` at the end of its last line) goes between `-- +migrate StatementBegin` and `StatementEnd`.
 */
import { join } from 'node:path';
import { compareSqlMigrateIds, parseSqlMigrateFile } from '../../migrate/formats/sql-migrate.js';
import type { Migration } from '../../migrate/types.js';
import { splitStatements } from './statements.js';
import { checkOrder, type FormatWriter, markerError, numberedVersions } from './writer.js';

/** A line sql-migrate reads as a command, or one that looks like one however spelt. */
const COMMAND = /^[ \t]*--[ \t]*\+[ \t]*migrate\b[^\n]*/im;

/** Whether sql-migrate's line rule sends `statement` (on lines of its own) as one statement. */
function sentWhole(statement: string): boolean {
  try {
    return parseSqlMigrateFile(`-- +migrate Up\n${statement}\n`).up.length === 1;
  } catch {
    return false; // the statement's last line does not end with `;`
  }
}

/** The statements of `sql`, each on lines of its own, in a StatementBegin/End block where needed. */
function section(sql: string, what: string): string {
  return splitStatements(sql, what)
    .map((statement) =>
      sentWhole(statement)
        ? `${statement}\n`
        : `-- +migrate StatementBegin\n${statement}\n-- +migrate StatementEnd\n`,
    )
    .join('\n');
}

/** `-` or `_`: what follows the version in the newest numbered file; `-` (sql-migrate new) otherwise. */
function separator(existing: readonly Migration[]): string {
  const newest = existing.findLast((migration) => /^\d+[-_]/.test(migration.path));
  return newest ? newest.path.replace(/^\d+/, '')[0]! : '-';
}

export const sqlMigrateWriter: FormatWriter = {
  oneQueryPerFile: false,
  hasDown: true,
  check(sql, what) {
    const line = COMMAND.exec(sql)?.[0];
    if (line !== undefined) throw markerError(what, 'sql-migrate', line);
  },
  plan(dir, existing, migrations, now) {
    const versions = numberedVersions(existing, migrations.length, now, ['utc-seconds'], {
      kind: 'utc-seconds',
    });
    const sep = separator(existing);
    const files = migrations.map((migration, i) => `${versions[i]}${sep}${migration.name}.sql`);
    checkOrder(
      'sql-migrate',
      existing.map((migration) => migration.path),
      files,
      compareSqlMigrateIds,
    );
    return migrations.map((migration, i) => {
      const what = `new sql-migrate migration ${migration.name}`;
      const options = migration.transaction ? '' : ' notransaction';
      const down =
        migration.down === undefined
          ? ''
          : `\n-- +migrate Down${options}\n${section(migration.down, `${what} (down)`)}`;
      return {
        id: files[i]!,
        files: [
          {
            path: join(dir, files[i]!),
            text: `-- +migrate Up${options}\n${section(migration.up, what)}${down}`,
          },
        ],
      };
    });
  },
};
