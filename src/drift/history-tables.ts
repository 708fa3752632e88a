/**
 * The migration tools' history tables, as `readCatalog`'s exclude patterns: they change with every
 * deploy by design, so they are never drift. `drift` and deploy's fingerprint pass the same list.
 * The table itself is the one the runner resolved (`HistoryState.table` / `MigrationStatus.historyTable`,
 * `schema.table`), so a `migrations.table` override and the connection's current schema are honoured.
 */
import type { FormatId } from '../migrate/types.js';

/**
 * Tools that keep more than one table in a schema of their own: the Supabase CLI also writes
 * `supabase_migrations.seed_files` next to its history.
 */
const TOOL_SCHEMAS: Partial<Record<FormatId, string>> = { supabase: 'supabase_migrations' };

/**
 * `historyTable` as the runner names it (`schema.table`), plus the tool's own schema where it has
 * one. Schema `pgwarden` (the plain format's history, pgwarden's ledger) is always left out by
 * `readCatalog`.
 */
export function historyTablesExclude(format: FormatId, historyTable: string | undefined): string[] {
  const patterns = historyTable ? [historyTable] : [];
  const schema = TOOL_SCHEMAS[format];
  if (schema) patterns.push(`${schema}.*`);
  return patterns;
}
