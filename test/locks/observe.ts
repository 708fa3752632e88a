/**
 * Runs a lock-table shape's verification on a real server and reports what happened:
 * the table-level locks the statement's backend took on each pre-existing relation, the
 * relations whose relfilenode changed (rewrites) and the tables whose sequential-scan counter
 * moved (scans).
 */
import pg from 'pg';
import type { LockMode } from '../../src/locks/modes.js';
import type { LockShape } from '../../src/locks/shape.js';

export interface Observation {
  /** relation name → lock modes held (or awaited) by the statement's backend */
  locks: Map<string, Set<LockMode>>;
  rewritten: Set<string>;
  scanned: Set<string>;
  /** SQLSTATE when the statement was run inside a transaction block, or undefined if accepted */
  inTransactionError: string | undefined;
  /** relations of the schema before the statement: name → relkind */
  relations: Map<string, string>;
}

interface RelRow {
  oid: number;
  relname: string;
  relkind: string;
  filenode: string | null;
}

export function schemaFor(shape: LockShape): string {
  return `lk_${shape.id.replace(/-/g, '_')}`;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function relations(client: pg.Client, schema: string): Promise<RelRow[]> {
  const { rows } = await client.query<RelRow>(
    `SELECT c.oid::int AS oid, c.relname, c.relkind, pg_relation_filenode(c.oid)::text AS filenode
       FROM pg_class c WHERE c.relnamespace = $1::regnamespace`,
    [schema],
  );
  return rows;
}

async function scanCounts(client: pg.Client, schema: string, view: string): Promise<Map<string, number>> {
  const { rows } = await client.query<{ relname: string; seq_tup_read: string }>(
    `SELECT relname, seq_tup_read::text FROM ${view} WHERE schemaname = $1`,
    [schema],
  );
  return new Map(rows.map((r) => [r.relname, Number(r.seq_tup_read)]));
}

async function prepare(client: pg.Client, shape: LockShape, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const sql of shape.verify.before ?? []) await client.query(sql);
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path = ${schema}, public`);
  for (const sql of shape.verify.setup) await client.query(sql);
}

async function cleanup(client: pg.Client, shape: LockShape, schema: string): Promise<void> {
  await client.query('RESET search_path');
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const sql of shape.verify.after ?? []) await client.query(sql);
}

function diff(
  before: RelRow[],
  after: RelRow[],
  scansBefore: Map<string, number>,
  scansAfter: Map<string, number>,
  lockRows: { relation: number; mode: LockMode }[],
): Pick<Observation, 'locks' | 'rewritten' | 'scanned' | 'relations'> {
  const byOid = new Map(before.map((r) => [r.oid, r]));
  const afterByOid = new Map(after.map((r) => [r.oid, r]));
  const locks = new Map<string, Set<LockMode>>();
  for (const row of lockRows) {
    const rel = byOid.get(row.relation);
    if (!rel) continue; // created by the statement itself, or outside the schema
    const set = locks.get(rel.relname) ?? new Set<LockMode>();
    set.add(row.mode);
    locks.set(rel.relname, set);
  }
  // A relation is rewritten when its storage changed: a new relfilenode under the same oid, or
  // (for indexes dropped and rebuilt by ALTER … TYPE or REINDEX CONCURRENTLY) a new relation
  // under the same name.
  const afterByName = new Map(after.map((r) => [r.relname, r]));
  const rewritten = new Set<string>();
  for (const rel of before) {
    const now = afterByOid.get(rel.oid) ?? afterByName.get(rel.relname);
    if (now && rel.filenode !== null && now.filenode !== rel.filenode) rewritten.add(rel.relname);
  }
  const scanned = new Set<string>();
  for (const [name, count] of scansAfter) if (count > (scansBefore.get(name) ?? 0)) scanned.add(name);
  return { locks, rewritten, scanned, relations: new Map(before.map((r) => [r.relname, r.relkind])) };
}

/** Observes a transactional shape inside a transaction that is rolled back. */
export async function observeInTransaction(url: string, shape: LockShape): Promise<Observation> {
  const schema = schemaFor(shape);
  const client = await connect(url);
  try {
    await prepare(client, shape, schema);
    const before = await relations(client, schema);
    await client.query('BEGIN');
    for (const [name, value] of Object.entries(shape.verify.settings ?? {})) {
      await client.query(`SELECT set_config($1, $2, true)`, [name, value]);
    }
    const scansBefore = await scanCounts(client, schema, 'pg_stat_xact_user_tables');
    await client.query(shape.verify.sql);
    const { rows: lockRows } = await client.query<{ relation: number; mode: LockMode }>(
      `SELECT relation::int AS relation, mode FROM pg_locks
        WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation IS NOT NULL`,
    );
    const after = await relations(client, schema);
    const scansAfter = await scanCounts(client, schema, 'pg_stat_xact_user_tables');
    await client.query('ROLLBACK');
    return { ...diff(before, after, scansBefore, scansAfter, lockRows), inTransactionError: undefined };
  } finally {
    await cleanup(client, shape, schema).catch(() => undefined);
    await client.end();
  }
}

/**
 * Observes a statement that refuses to run in a transaction block: first checks the refusal,
 * then runs it for real while a blocker session makes it wait, and records from a third session
 * every lock the statement's backend holds or awaits while it waits. Those are the locks that
 * matter: the ones other sessions queue behind. (Locks such statements take in their last
 * instant, on an index no query can use any more, cannot be observed deterministically.)
 */
export async function observeOutsideTransaction(url: string, shape: LockShape): Promise<Observation> {
  const schema = schemaFor(shape);
  const runner = await connect(url);
  const blocker = await connect(url);
  const watcher = await connect(url);
  try {
    await prepare(runner, shape, schema);
    let inTransactionError: string | undefined;
    await runner.query('BEGIN');
    try {
      await runner.query(shape.verify.sql);
    } catch (error) {
      inTransactionError = (error as { code?: string }).code;
    }
    await runner.query('ROLLBACK');

    const target = firstName(shape.verify.relations.table ?? shape.verify.relations.parent);
    const pid = (await runner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await runner.query('SELECT pg_stat_force_next_flush()');
    await runner.query('SELECT 1');
    await watcher.query('SET stats_fetch_consistency = none');
    const before = await relations(watcher, schema);
    const scansBefore = await scanCounts(watcher, schema, 'pg_stat_user_tables');

    await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    if (shape.verify.blocker) {
      const mode = shape.verify.blocker
        .replace(/Lock$/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toUpperCase();
      await blocker.query(`LOCK TABLE ${schema}.${target} IN ${mode} MODE`);
    } else {
      await blocker.query(`SELECT count(*) FROM ${schema}.${target}`);
    }

    const lockRows: { relation: number; mode: LockMode }[] = [];
    let done = false;
    const running = runner.query(shape.verify.sql).finally(() => {
      done = true;
    });
    const started = Date.now();
    while (!done && Date.now() - started < 400) {
      const { rows } = await watcher.query<{ relation: number; mode: LockMode; granted: boolean }>(
        `SELECT relation::int AS relation, mode, granted FROM pg_locks
          WHERE pid = $1 AND locktype = 'relation' AND relation IS NOT NULL`,
        [pid],
      );
      lockRows.push(...rows);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await blocker.query('COMMIT');
    await running;

    await runner.query('SELECT pg_stat_force_next_flush()');
    await runner.query('SELECT 1');
    const after = await relations(watcher, schema);
    const scansAfter = await scanCounts(watcher, schema, 'pg_stat_user_tables');
    return { ...diff(before, after, scansBefore, scansAfter, lockRows), inTransactionError };
  } finally {
    await cleanup(runner, shape, schema).catch(() => undefined);
    await Promise.all([runner.end(), blocker.end(), watcher.end()]);
  }
}

function firstName(value: string | readonly string[] | undefined): string {
  if (value === undefined)
    throw new Error('a non-transactional verification needs a table or parent relation');
  return typeof value === 'string' ? value : value[0]!;
}
