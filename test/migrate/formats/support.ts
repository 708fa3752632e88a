/**
 * Test helpers for the format tests: apply a folder through a format's history adapter (the way
 * the runner will: the script, then the history write in the same transaction) or only record it,
 * snapshot what a database holds so two databases — one migrated by the native tool, one by
 * pgwarden — can be compared, and catch the PgwardenError a call fails with.
 */
import type pg from 'pg';
import { PgwardenError } from '../../../src/errors/pgwarden-error.js';
import type {
  HistoryAdapter,
  HistoryContext,
  Migration,
  MigrationFormat,
} from '../../../src/migrate/types.js';

/** Runs each migration's up script and records it with `format.history.markApplied`. */
export async function applyWithAdapter(
  client: pg.Client,
  format: MigrationFormat,
  migrations: readonly Migration[],
  options: { table?: string; outsideTransaction?: ReadonlySet<string> } = {},
): Promise<void> {
  const ctx: HistoryContext = { client, ...(options.table ? { table: options.table } : {}) };
  await format.history.ensure(ctx);
  for (const migration of migrations) {
    const startedAt = new Date();
    const alone = migration.up.transaction === false || options.outsideTransaction?.has(migration.id);
    if (alone) {
      await client.query('BEGIN');
      await format.history.markStarted?.(ctx, migration, { startedAt });
      await client.query('COMMIT');
      await client.query(migration.up.text);
      await client.query('BEGIN');
      await format.history.markApplied(ctx, migration, { startedAt, durationMs: 1 });
      await client.query('COMMIT');
      continue;
    }
    await client.query('BEGIN');
    try {
      await client.query(migration.up.text);
      await format.history.markApplied(ctx, migration, { startedAt, durationMs: 1 });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }
}

/** Records each migration as applied with `history.markApplied`, one transaction each, running no SQL. */
export async function recordApplied(
  history: HistoryAdapter,
  ctx: HistoryContext,
  migrations: readonly Migration[],
  durationMs = 1,
): Promise<void> {
  for (const migration of migrations) {
    await ctx.client.query('BEGIN');
    await history.markApplied(ctx, migration, { startedAt: new Date(), durationMs });
    await ctx.client.query('COMMIT');
  }
}

/** Runs the down script of `migration` and records it with `markRolledBack`. */
export async function rollBackWithAdapter(
  client: pg.Client,
  format: MigrationFormat,
  migration: Migration,
  previous: Migration | undefined,
  options: { table?: string } = {},
): Promise<void> {
  const ctx: HistoryContext = { client, ...(options.table ? { table: options.table } : {}) };
  if (!migration.down) throw new Error(`${migration.id} has no down script`);
  if (migration.down.transaction === false) {
    await client.query(migration.down.text);
    await format.history.markRolledBack!(ctx, migration, previous);
    return;
  }
  await client.query('BEGIN');
  await client.query(migration.down.text);
  await format.history.markRolledBack!(ctx, migration, previous);
  await client.query('COMMIT');
}

/**
 * The application's schema in `public` (tables, columns with types and defaults, indexes,
 * triggers, functions), leaving out the history tables, as sorted text lines.
 */
export async function appSchema(client: pg.Client, historyTables: readonly string[]): Promise<string[]> {
  const result = await client.query<{ line: string }>(
    `SELECT format('column %s.%s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod))
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relname = ANY($1)
     UNION ALL
     SELECT 'index ' || pg_get_indexdef(i.indexrelid)
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT c.relname = ANY($1)
     UNION ALL
     SELECT 'trigger ' || pg_get_triggerdef(t.oid)
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal
     UNION ALL
     SELECT 'function ' || pg_get_functiondef(p.oid)
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public'
     ORDER BY 1`,
    [historyTables],
  );
  return result.rows.map((row) => row.line);
}

/** Columns of a table as `name type [not null] [default …]` lines, in column order. */
export async function tableShape(client: pg.Client, qualified: string): Promise<string[]> {
  const result = await client.query<{ line: string }>(
    `SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
       FROM pg_attribute a
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualified],
  );
  return result.rows.map((row) => row.line);
}

/** Whether a table named `table` (in any schema) has a column `column`. */
export async function hasColumn(client: pg.Client, table: string, column: string): Promise<boolean> {
  const result = await client.query(
    'SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2',
    [table, column],
  );
  return result.rows.length > 0;
}

/** Constraints of a table as `name type definition` lines. */
export async function tableConstraints(client: pg.Client, qualified: string): Promise<string[]> {
  const result = await client.query<{ line: string }>(
    `SELECT format('%s %s %s', conname, contype, pg_get_constraintdef(oid)) AS line
       FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname`,
    [qualified],
  );
  return result.rows.map((row) => row.line);
}

/**
 * Columns, constraints and indexes of `schema.table`, without the schema's name, for comparing a
 * table pgwarden created with one the native tool created.
 */
export async function describeTable(client: pg.Client, schema: string, table: string) {
  const rel = `"${schema}"."${table}"`;
  const indexes = await client.query(
    `SELECT c.relname, i.indisunique, i.indisprimary,
            array(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a
                    ON a.attrelid = i.indrelid AND a.attnum = k) AS columns
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1::regclass ORDER BY c.relname`,
    [rel],
  );
  return {
    columns: await tableShape(client, rel),
    constraints: await tableConstraints(client, rel),
    indexes: indexes.rows,
  };
}

/**
 * The PgwardenError that `work` (a promise, or a function, sync or async) fails with; the test
 * fails when it succeeds or throws something else.
 */
export async function catchError(work: Promise<unknown> | (() => unknown)): Promise<PgwardenError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof PgwardenError) return error;
    throw error;
  }
  throw new Error('expected a PgwardenError, nothing was thrown');
}
