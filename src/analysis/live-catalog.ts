/**
 * Reads what the linter needs from a live database: the server version, the tables (sizes,
 * columns, constraints, partitions), indexes, enums and the volatility of user functions.
 */
import type pg from 'pg';
import { parseSql } from '../sql/parser.js';
import { notNullCheckColumn } from './names.js';
import { type ConstraintKind, relationKey, SchemaModel } from './schema-model.js';
import { typeFromCatalog } from './types.js';

export interface LiveFacts {
  serverVersionNum: number;
  pgMajor: number;
  model: SchemaModel;
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

const CONSTRAINT_KINDS: Record<string, ConstraintKind> = {
  c: 'check',
  f: 'foreign-key',
  u: 'unique',
  p: 'primary-key',
  x: 'exclusion',
};

export async function loadLiveFacts(client: pg.Client): Promise<LiveFacts> {
  const versionNum = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
  const model = new SchemaModel();
  model.live = true;
  const searchPath = (await client.query(`SELECT current_schemas(false)::text[] AS s`)).rows[0].s as string[];
  if (searchPath[0]) model.defaultSchema = searchPath[0];

  const tables = await client.query(`
    SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence, c.relispopulated,
           c.reltuples::float8 AS reltuples,
           CASE WHEN c.relkind IN ('r','p','m') THEN pg_total_relation_size(c.oid)::float8 END AS bytes,
           (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
              JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition) AS parent,
           ARRAY(SELECT a.attname FROM pg_partitioned_table pt, unnest(pt.partattrs) k
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k WHERE pt.partrelid = c.oid)::text[] AS partkey
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r','p','v','m','f') AND ${USER_SCHEMAS}`);
  const byOid = new Map<number, string>();
  for (const row of tables.rows) {
    const key = relationKey(row.schema, row.name);
    byOid.set(row.oid, key);
    model.addTable({
      key,
      schema: row.schema,
      name: row.name,
      kind:
        ({ r: 'table', p: 'partitioned', v: 'view', m: 'matview', f: 'foreign' } as const)[
          row.relkind as 'r'
        ] ?? 'table',
      origin: { kind: 'live' },
      persistence:
        row.relpersistence === 'u' ? 'unlogged' : row.relpersistence === 't' ? 'temporary' : 'permanent',
      columns: new Map(),
      constraints: [],
      partitionOf: row.parent ?? undefined,
      partitionKey: row.partkey ?? [],
      populated: row.relispopulated,
      rowEstimate: row.reltuples >= 0 ? Math.round(row.reltuples) : undefined,
      totalBytes: row.bytes ?? undefined,
    });
  }

  const columns = await client.query(`
    SELECT a.attrelid::int AS oid, a.attname, t.typname, tn.nspname AS typschema, a.atttypmod, a.attnotnull
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','f') AND ${USER_SCHEMAS}
     ORDER BY a.attrelid, a.attnum`);
  for (const row of columns.rows) {
    const table = model.tables.get(byOid.get(row.oid) ?? '');
    table?.columns.set(row.attname, {
      name: row.attname,
      type: typeFromCatalog(row.typname, row.atttypmod, row.typschema),
      notNull: row.attnotnull,
    });
  }

  const constraints = await client.query(`
    SELECT con.conrelid::int AS oid, con.conname, con.contype, con.convalidated,
           ARRAY(SELECT a.attname FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k)::text[] AS columns,
           con.confrelid::int AS refoid, ic.relname AS index_name,
           CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expr
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_class ic ON ic.oid = con.conindid
     WHERE con.contype IN ('c','f','u','p','x') AND ${USER_SCHEMAS}`);
  for (const row of constraints.rows) {
    const table = model.tables.get(byOid.get(row.oid) ?? '');
    const kind = CONSTRAINT_KINDS[row.contype as string];
    if (!table || !kind) continue;
    table.constraints.push({
      name: row.conname,
      kind,
      validated: row.convalidated,
      columns: row.columns,
      provesNotNull: kind === 'check' && row.expr ? checkProvesNotNull(row.expr) : undefined,
      references: kind === 'foreign-key' ? byOid.get(row.refoid) : undefined,
      index: row.index_name ?? undefined,
    });
  }

  const indexes = await client.query(`
    SELECT n.nspname AS schema, ic.relname AS name, i.indrelid::int AS oid, i.indisunique, i.indisvalid,
           ARRAY(SELECT a.attname FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)::text[] AS columns
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE ${USER_SCHEMAS}`);
  for (const row of indexes.rows) {
    const table = byOid.get(row.oid);
    if (!table) continue;
    const key = relationKey(row.schema, row.name);
    model.indexes.set(key, {
      key,
      name: row.name,
      schema: row.schema,
      table,
      columns: row.columns,
      unique: row.indisunique,
      valid: row.indisvalid,
    });
  }

  const enums = await client.query(`
    SELECT n.nspname AS schema, t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
      FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
     GROUP BY n.nspname, t.typname`);
  for (const row of enums.rows) {
    const key = relationKey(row.schema, row.name);
    model.enums.set(key, { key, values: row.labels });
  }

  const functions = await client.query(`
    SELECT n.nspname AS schema, p.proname AS name, bool_or(p.provolatile = 'v') AS volatile
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     GROUP BY n.nspname, p.proname`);
  for (const row of functions.rows) {
    model.functions.set(`${row.schema}.${row.name}`, row.volatile ? 'volatile' : 'non-volatile');
  }

  return { serverVersionNum: versionNum, pgMajor: Math.floor(versionNum / 10000), model };
}

/** Whether a CHECK expression from pg_get_expr is `col IS NOT NULL`; returns the column. */
function checkProvesNotNull(expr: string): string | undefined {
  const parsed = parseSql(`SELECT 1 WHERE ${expr}`);
  if ('error' in parsed) return undefined;
  return notNullCheckColumn(parsed.stmts[0]?.stmt.SelectStmt?.whereClause);
}

/** How small a table must be for size-dependent lint findings to be warnings (the lint gate). */
export interface SmallTable {
  rows: number;
  bytes: number;
}

export const DEFAULT_SMALL_TABLE: SmallTable = { rows: 10_000, bytes: 10 * 1024 * 1024 };

/**
 * Counts the rows of the live tables that may be small (by their statistics and size), up to
 * `small.rows + 1`, into `rowsCounted`: statistics are estimates, and "empty" or "small" must be
 * facts before a lint error is lowered for it. One read-only transaction; a table it cannot
 * read within `lockTimeoutMs` (or without the privilege) stays uncounted.
 */
export async function countSmallTables(
  client: pg.Client,
  model: SchemaModel,
  small: SmallTable,
  lockTimeoutMs: number,
): Promise<void> {
  const candidates = [...model.tables.values()].filter(
    (t) =>
      (t.kind === 'table' || t.kind === 'partitioned') &&
      t.origin.kind === 'live' &&
      (t.totalBytes ?? 0) <= small.bytes &&
      (t.rowEstimate ?? 0) <= small.rows,
  );
  const cap = Math.floor(small.rows) + 1;
  for (let i = 0; i < candidates.length; i += 200) {
    const chunk = candidates.slice(i, i + 200);
    const sql = chunk
      .map(
        (t, j) =>
          `SELECT ${j} AS i, (SELECT count(*) FROM (SELECT 1 FROM ${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)} LIMIT ${cap}) s)::int AS n`,
      )
      .join(' UNION ALL ');
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
      const { rows } = await client.query(sql);
      for (const row of rows) chunk[row.i]!.rowsCounted = row.n;
      await client.query('COMMIT');
    } catch {
      // uncounted: the findings on those tables stay as they are
      await client.query('ROLLBACK').catch(() => undefined);
    }
  }
}
