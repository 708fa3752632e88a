/**
 * Supabase CLI: `supabase/migrations/<YYYYMMDDHHMMSS>_<name>.sql`, the timestamp in UTC as
 * `supabase migration new` writes it (or the folder's own numbering), later than the newest
 * existing version. The CLI has no down files: a down is dropped.
 *
 * Outside a transaction: the CLI sends each file as one pipelined batch together with its history
 * INSERT, which PostgreSQL runs as one implicit transaction. CLIs from v2.109.0 (supabase/cli PR
 * #6276) take the statements PostgreSQL refuses in a pipeline (CREATE/DROP INDEX CONCURRENTLY,
 * REINDEX CONCURRENTLY, VACUUM, …) out of the batch and run them alone; older CLIs refuse them in
 * any migration ("cannot be executed within a pipeline", supabase/cli#2898), one statement per file
 * or not. Such migrations are written one statement per file (`oneQueryPerFile`), so that no other
 * statement shares the batch's transaction (a batched backfill UPDATE then holds no lock taken by
 * an ALTER before it).
 */
import { join } from 'node:path';
import { checkOrder, type FormatWriter, numberedVersions, sqlText } from './writer.js';

export const supabaseWriter: FormatWriter = {
  oneQueryPerFile: true,
  hasDown: false,
  plan(dir, existing, migrations, now) {
    const versions = numberedVersions(existing, migrations.length, now, ['utc-seconds'], {
      kind: 'utc-seconds',
    });
    // The CLI lines migrations up by version (`ORDER BY version`, text order).
    checkOrder(
      'Supabase CLI',
      existing.map((migration) => migration.id),
      versions,
      (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    );
    return migrations.map((migration, i) => ({
      id: versions[i]!,
      files: [{ path: join(dir, `${versions[i]}_${migration.name}.sql`), text: sqlText(migration.up) }],
    }));
  },
};
