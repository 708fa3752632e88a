/**
 * `invalid-indexes`: indexes marked INVALID (pg_index.indisvalid = false), left by a failed
 * CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY. They cost every write and serve no read; a
 * unique one does not even guarantee uniqueness. Indexes being built right now are not counted.
 * The fix follows PostgreSQL's documentation (CREATE INDEX, REINDEX): drop a `_ccold` leftover,
 * drop a `_ccnew` one and run the REINDEX again, rebuild any other with REINDEX INDEX CONCURRENTLY.
 */
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { capped } from './migrations.js';

interface InvalidIndex {
  index: string;
  name: string;
  table: string;
  schema: string;
  relkind: string;
  unique: boolean;
  definition: string;
  building_pid: number | null;
}

function quoted(schema: string, name: string): string {
  return `"${schema.replace(/"/g, '""')}"."${name.replace(/"/g, '""')}"`;
}

/** The SQL that repairs one invalid index, with a note when there is a catch. */
function repair(ix: InvalidIndex): string {
  const target = quoted(ix.schema, ix.name);
  const drop = ix.schema === 'pg_toast' ? `DROP INDEX ${target};` : `DROP INDEX CONCURRENTLY ${target};`;
  if (/_ccold\d*$/.test(ix.name)) return `${drop} (the REINDEX that left it succeeded)`;
  if (/_ccnew\d*$/.test(ix.name)) {
    const original = quoted(ix.schema, ix.name.replace(/_ccnew\d*$/, ''));
    return `${drop} REINDEX INDEX CONCURRENTLY ${original};`;
  }
  if (ix.relkind === 'I') {
    return `${ix.index} is a partitioned index: create the missing index on each partition and ALTER INDEX ${target} ATTACH PARTITION <that index>; it turns valid when every partition has one.`;
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
      `SELECT format('%I.%I', n.nspname, ic.relname) AS index, ic.relname AS name, n.nspname AS schema,
              format('%I.%I', tn.nspname, t.relname) AS table, ic.relkind::text AS relkind,
              i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition,
              (SELECT p.pid FROM pg_stat_progress_create_index p
                WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND (p.index_relid = i.indexrelid OR p.relid = i.indrelid)
                LIMIT 1) AS building_pid
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
        WHERE NOT i.indisvalid
        ORDER BY 1`,
    );
    const building = rows.filter((r) => r.building_pid !== null);
    const invalid = rows.filter((r) => r.building_pid === null);
    const evidence = building.map(
      (r) => `${r.index} on ${r.table}: being built now by pid ${r.building_pid} (not counted)`,
    );
    if (invalid.length === 0) return { status: 'pass', summary: 'no INVALID indexes', evidence };
    return {
      status: 'fail',
      summary: `${invalid.length} INVALID index(es): ${invalid.map((r) => r.index).join(', ')}`,
      evidence: [...capped(invalid.map((r) => `${r.index} on ${r.table}: ${r.definition}`)), ...evidence],
      fix: invalid.map(repair).join('\n'),
    };
  },
};
