/**
 * The migration tools' history tables in the database, which test-data detection leaves alone
 * (their rows are the tools' records, not the application's data). Each format of src/migrate
 * knows its own table (name, default schema, `migrations.table` override) and recognises it by
 * its columns; a user table that merely shares a name (`schema_migrations` with other columns)
 * is not one of them and is still looked at.
 */
import type pg from 'pg';
import { FORMATS } from '../../migrate/formats/index.js';
import { FORMAT_IDS, type FormatId, type MigrationFormat } from '../../migrate/types.js';
import type { DoctorContext } from '../types.js';

function formatsToLookFor(format: string | undefined): MigrationFormat[] {
  if (format && (FORMAT_IDS as readonly string[]).includes(format)) return [FORMATS[format as FormatId]];
  return Object.values(FORMATS);
}

/**
 * `schema.table` of every history table present: that of the configured format, or of any
 * format when it is `auto` or unset. Read-only (catalog reads and the history rows).
 */
export async function migrationHistoryTables(
  client: pg.Client,
  migrations: DoctorContext['migrations'] = {},
): Promise<string[]> {
  const found = new Set<string>();
  const history = { client, ...(migrations.table ? { table: migrations.table } : {}) };
  for (const format of formatsToLookFor(migrations.format)) {
    if (!(await format.history.detect(history))) continue;
    const state = await format.history.read(history);
    if (state.exists) found.add(state.table);
  }
  return [...found].sort();
}
