/**
 * Which tables and columns test-data detection reads, and how it reads a bounded sample of each.
 *
 * Tables: ordinary and partitioned tables (a partitioned table is read as a whole, its partitions
 * are not listed on their own) outside the system schemas and schema `pgwarden`, not temporary,
 * not owned by an extension. Columns: date/timestamp/timestamptz ("date") and
 * text/varchar/char/citext ("text"), also through a domain; only those this role may SELECT.
 *
 * Sample: the row count is estimated the way the planner does (pg_class reltuples per page times
 * the relation's current pages, summed over the partitions; for a table never analyzed, the
 * planner's guess from EXPLAIN). A table of at most twice the sample size, or a small one never
 * analyzed, is read with `LIMIT sampleRows`: a sequential scan that stops after that many rows. A bigger one is read with `TABLESAMPLE SYSTEM (p) LIMIT sampleRows`, p chosen for
 * about twice the sample size: random pages anywhere in the table, p percent of them, so a
 * 10M-row table costs a few pages. There is no second try with LIMIT when the pages picked hold
 * no row: that happens on a big table of mostly dead rows, where LIMIT would read all of them.
 *
 * Each table is read in its own read-only transaction with a short lock_timeout, so a table
 * locked by a migration is reported as skipped instead of holding up the doctor. Call it outside
 * a transaction.
 */
import type pg from 'pg';
import { PLAIN_SCHEMA } from '../../migrate/formats/plain.js';
import { displayQualified, quoteIdent, quoteQualified } from '../../sql/quote.js';

/** How long one table's read waits for a lock before the table is skipped. */
export const SAMPLE_LOCK_TIMEOUT_MS = 2000;
/** Longer text values are not read (no placeholder, e-mail or batch id is that long). */
export const MAX_TEXT_BYTES = 1024;
/** Dates from this year on (9999-12-31, infinity) are "no end" markers, not test data. */
export const SENTINEL_YEAR = 9999;
/** A table never analyzed of at most this many pages is read with LIMIT (it is small anyway). */
export const SMALL_TABLE_PAGES = 10;

export type ColumnKind = 'date' | 'text';

export interface CandidateTable {
  schema: string;
  name: string;
  /** `schema.name` for messages, each name quoted when it is not a plain word (src/sql/quote.ts) */
  display: string;
  oid: string;
  partitioned: boolean;
  columns: Array<{ name: string; kind: ColumnKind }>;
  /** candidate columns this role may not read */
  unreadable: string[];
}

export interface SamplePlan {
  method: 'limit' | 'tablesample';
  /** TABLESAMPLE SYSTEM percentage */
  percent?: number;
  /** estimated rows, or null for a small table never analyzed */
  estimatedRows: number | null;
}

export interface TableSample {
  plan: SamplePlan;
  /** per row, per column of the table (in order): the text, or for dates the value when it is beyond the horizon; else null */
  rows: Array<Array<string | null>>;
}

/** The tables and columns to look at, in schema and table order. */
export async function listCandidateTables(client: pg.Client): Promise<CandidateTable[]> {
  const { rows } = await client.query<{
    oid: string;
    schema: string;
    table: string;
    relkind: string;
    column: string;
    kind: ColumnKind;
    readable: boolean;
  }>(
    `SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS table, c.relkind::text AS relkind,
            a.attname AS column,
            CASE WHEN bt.oid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
                 THEN 'date' ELSE 'text' END AS kind,
            has_column_privilege(c.oid, a.attnum, 'SELECT') AS readable
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', $1)
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        AND (bt.oid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                        'text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
             OR bt.typname = 'citext')
      ORDER BY n.nspname, c.relname, a.attnum`,
    [PLAIN_SCHEMA],
  );
  const tables = new Map<string, CandidateTable>();
  for (const r of rows) {
    let table = tables.get(r.oid);
    if (!table) {
      table = {
        schema: r.schema,
        name: r.table,
        display: displayQualified(r.schema, r.table),
        oid: r.oid,
        partitioned: r.relkind === 'p',
        columns: [],
        unreadable: [],
      };
      tables.set(r.oid, table);
    }
    if (r.readable) table.columns.push({ name: r.column, kind: r.kind });
    else table.unreadable.push(r.column);
  }
  return [...tables.values()];
}

/** LIMIT for small or never-analyzed tables, TABLESAMPLE SYSTEM for about 2 × sampleRows rows otherwise. */
export function planSample(estimatedRows: number | null, sampleRows: number): SamplePlan {
  const target = 2 * sampleRows;
  if (estimatedRows === null || estimatedRows <= target) return { method: 'limit', estimatedRows };
  // TABLESAMPLE takes a float4 percentage; keep a few significant digits, never 0
  const percent = Math.max(Number(((100 * target) / estimatedRows).toPrecision(3)), 1e-6);
  return { method: 'tablesample', percent, estimatedRows: Math.round(estimatedRows) };
}

/** `ONLY "schema"."table"`, or the partitioned table with its partitions. */
function fromSql(table: CandidateTable): string {
  return `${table.partitioned ? '' : 'ONLY '}${quoteQualified(table.schema, table.name)}`;
}

/**
 * The table's row estimate (its partitions summed) as the planner makes it from pg_class; for a
 * table never analyzed, the planner's own guess from its pages and column widths (EXPLAIN), or
 * null when it has at most SMALL_TABLE_PAGES pages.
 */
async function estimateRows(client: pg.Client, table: CandidateTable): Promise<number | null> {
  const { rows } = await client.query<{ relpages: number; reltuples: number; pages: string }>(
    `WITH RECURSIVE tree(oid) AS (
       SELECT $1::oid
       UNION ALL
       SELECT i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid
         JOIN pg_class p ON p.oid = tree.oid AND p.relkind = 'p')
     SELECT c.relpages, c.reltuples::float8 AS reltuples,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS pages
       FROM tree JOIN pg_class c ON c.oid = tree.oid
      WHERE c.relkind <> 'p'`,
    [table.oid],
  );
  let total = 0;
  let allPages = 0;
  let analyzed = true;
  for (const r of rows) {
    const pages = Number(r.pages);
    allPages += pages;
    if (pages === 0) continue;
    if (r.relpages <= 0 || r.reltuples < 0) analyzed = false;
    else total += (r.reltuples / r.relpages) * pages;
  }
  if (analyzed) return total;
  if (allPages <= SMALL_TABLE_PAGES) return null;
  const explained = await client.query(`EXPLAIN (FORMAT JSON) SELECT FROM ${fromSql(table)}`);
  return Number(explained.rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
}

function columnSql(column: { name: string; kind: ColumnKind }, horizon: string): string {
  const c = quoteIdent(column.name);
  if (column.kind === 'text')
    return `CASE WHEN octet_length(${c}::text) <= ${MAX_TEXT_BYTES} THEN ${c}::text END`;
  return `CASE WHEN isfinite(${c}) AND ${c} > ${horizon} AND extract(year FROM ${c}) < ${SENTINEL_YEAR} THEN ${c}::text END`;
}

/** The SELECT that reads the sample, with its parameters (row limit, horizon, percentage). */
export function sampleQuery(
  table: CandidateTable,
  plan: SamplePlan,
  sampleRows: number,
  horizon: Date,
): { text: string; values: unknown[] } {
  const values: unknown[] = [sampleRows];
  const param = (value: unknown) => `$${values.push(value)}`;
  const horizonParam = table.columns.some((c) => c.kind === 'date')
    ? `${param(horizon.toISOString())}::timestamptz`
    : '';
  const columns = table.columns.map((c, i) => `${columnSql(c, horizonParam)} AS c${i}`).join(', ');
  const sample = plan.method === 'tablesample' ? ` TABLESAMPLE SYSTEM (${param(plan.percent)}::float4)` : '';
  return { text: `SELECT ${columns} FROM ${fromSql(table)}${sample} LIMIT $1`, values };
}

async function readSample(
  client: pg.Client,
  table: CandidateTable,
  plan: SamplePlan,
  sampleRows: number,
  horizon: Date,
): Promise<Array<Array<string | null>>> {
  const result = await client.query({ ...sampleQuery(table, plan, sampleRows, horizon), rowMode: 'array' });
  return result.rows as Array<Array<string | null>>;
}

/**
 * Reads the sample of one table. Throws the database error (lock_timeout 55P03, statement_timeout
 * 57014, …) after ending the transaction; the caller reports the table as skipped.
 */
export async function sampleTable(
  client: pg.Client,
  table: CandidateTable,
  sampleRows: number,
  horizon: Date,
): Promise<TableSample> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL lock_timeout = ${SAMPLE_LOCK_TIMEOUT_MS}`);
    const plan = planSample(await estimateRows(client, table), sampleRows);
    const rows = await readSample(client, table, plan, sampleRows, horizon);
    await client.query('COMMIT');
    return { plan, rows };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
