/**
 * `invalid-indexes`: indexes marked INVALID (pg_index.indisvalid = false), left by a failed
 * CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY. They cost every write and serve no read; a
 * unique one does not even guarantee uniqueness. Indexes being built right now are not counted.
 * The fix follows PostgreSQL's documentation (CREATE INDEX, REINDEX): drop a `_ccold` leftover,
 * drop a `_ccnew` one and run the REINDEX again, rebuild any other with REINDEX INDEX CONCURRENTLY.
 * Names are read raw and quoted by src/sql/quote.ts (the server's format('%I') keeps a newline).
 */
import { loadParser } from '../../sql/parser.js';
import { displayQualified, quoteQualified, sanitizeText } from '../../sql/quote.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';

interface InvalidIndex {
  name: string;
  schema: string;
  table_schema: string;
  table_name: string;
  relkind: string;
  unique: boolean;
  definition: string;
  building_pid: number | null;
}

/** The SQL that repairs one invalid index, with a note when there is a catch. */
function repair(ix: InvalidIndex): string {
  const target = quoteQualified(ix.schema, ix.name);
  const drop = ix.schema === 'pg_toast' ? `DROP INDEX ${target};` : `DROP INDEX CONCURRENTLY ${target};`;
  if (/_ccold\d*$/.test(ix.name)) return `${drop} (the REINDEX that left it succeeded)`;
  if (/_ccnew\d*$/.test(ix.name)) {
    const original = quoteQualified(ix.schema, ix.name.replace(/_ccnew\d*$/, ''));
    return `${drop} REINDEX INDEX CONCURRENTLY ${original};`;
  }
  if (ix.relkind === 'I') {
    return `${displayQualified(ix.schema, ix.name)} is a partitioned index: create the missing index on each partition and ALTER INDEX ${target} ATTACH PARTITION <that index>; it turns valid when every partition has one.`;
  }
  const duplicates = ix.unique ? ' (a unique index fails again until the duplicate rows are gone)' : '';
  return `REINDEX INDEX CONCURRENTLY ${target};${duplicates}`;
}

export const invalidIndexesCheck: DoctorCheck = {
  id: 'invalid-indexes',
  title: 'INVALID indexes',
  level: 'fail',
  needsDatabase: true,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const { rows } = await ctx.client!.query<InvalidIndex>(
      `SELECT ic.relname AS name, n.nspname AS schema, tn.nspname AS table_schema, t.relname AS table_name,
              ic.relkind::text AS relkind,
              i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition,
              (SELECT p.pid FROM pg_stat_progress_create_index p
                WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND (p.index_relid = i.indexrelid OR p.relid = i.indrelid)
                LIMIT 1) AS building_pid
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
        WHERE NOT i.indisvalid
        ORDER BY n.nspname, ic.relname`,
    );
    const index = (r: InvalidIndex) => displayQualified(r.schema, r.name);
    const on = (r: InvalidIndex) => `${index(r)} on ${displayQualified(r.table_schema, r.table_name)}`;
    const building = rows.filter((r) => r.building_pid !== null);
    const invalid = rows.filter((r) => r.building_pid === null);
    const evidence = building.map((r) => `${on(r)}: being built now by pid ${r.building_pid} (not counted)`);
    if (invalid.length === 0) return { status: 'pass', summary: 'no INVALID indexes', evidence };
    // the definition as the server printed it, its quoted names re-quoted with PostgreSQL's scanner
    await loadParser();
    return {
      status: 'fail',
      summary: `${invalid.length} INVALID index(es): ${invalid.map(index).join(', ')}`,
      evidence: [...capped(invalid.map((r) => `${on(r)}: ${sanitizeText(r.definition)}`)), ...evidence],
      fix: invalid.map(repair).join('\n'),
    };
  },
};
