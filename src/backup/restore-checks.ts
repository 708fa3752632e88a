/**
 * The checks after a restore, on the restore's control session while the database is still closed
 * to everyone else (so no write after the restore can disturb them): rows per table equal the
 * backup's, no sequence is behind its column; then ANALYZE, as the restored tables have no
 * statistics.
 */
import type pg from 'pg';
import { displayIdent, displayQualified, quoteIdent, quoteQualified, regclassLiteral } from '../sql/quote.js';
import type { TableRows } from './copy-counter.js';
import { compareRows } from './read-archive.js';
import { SEQUENCES_SQL } from './restore-sql.js';

interface SequenceRow {
  sequence_schema: string;
  sequence_name: string;
  table_schema: string;
  table_name: string;
  column: string;
}

/** Rows per table equal the backup's; no sequence behind its column; ANALYZE. */
export async function postChecks(
  client: pg.Client,
  expected: readonly TableRows[],
): Promise<{ problems: string[]; sequences: number }> {
  const counted: TableRows[] = [];
  for (const t of expected) {
    const q = quoteQualified(t.schema, t.name);
    const r = await client
      .query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q}`)
      .catch(() => undefined);
    if (r) counted.push({ ...t, rows: Number(r.rows[0]!.n) });
  }
  const problems = compareRows(expected, counted, 'after the restore');
  const sequences = (await client.query<SequenceRow>(SEQUENCES_SQL)).rows;
  for (const s of sequences) {
    const sequence = quoteQualified(s.sequence_schema, s.sequence_name);
    const table = quoteQualified(s.table_schema, s.table_name);
    const column = quoteIdent(s.column);
    const { rows } = await client.query<{ behind: boolean; max: string | null; last: string }>(
      `SELECT (SELECT max(${column}) FROM ${table})::text AS max, last_value::text AS last,
              coalesce((SELECT max(${column}) FROM ${table}) >= CASE WHEN is_called THEN last_value + 1 ELSE last_value END, false) AS behind
         FROM ${sequence}`,
    );
    const row = rows[0];
    if (row?.behind) {
      problems.push(
        `sequence ${displayQualified(s.sequence_schema, s.sequence_name)} (last value ${row.last}) is behind ${displayQualified(s.table_schema, s.table_name)}.${displayIdent(s.column)} (max ${row.max}); fix: SELECT setval(${regclassLiteral(s.sequence_schema, s.sequence_name)}, ${row.max});`,
      );
    }
  }
  await client.query('ANALYZE');
  return { problems, sequences: sequences.length };
}
