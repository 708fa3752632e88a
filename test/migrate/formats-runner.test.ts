/**
 * The runner end to end on every format's fixture folder, each test on a database of its own:
 * a full migrate (status, idempotence, the native history rows, pgwarden's ledger), the native
 * tools (dbmate, node-pg-migrate) on what pgwarden wrote, failures that leave the native history
 * clean, interrupted non-transactional migrations that resume, detection by folder and database,
 * the tools' blocking states cleared with resolve, and rollback refused where there are no downs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/migrate/formats/index.js';
import { migrate } from '../../src/migrate/migrate.js';
import { resolve } from '../../src/migrate/resolve.js';
import { rollback } from '../../src/migrate/rollback.js';
import { loadMigrations } from '../../src/migrate/source.js';
import { status } from '../../src/migrate/status.js';
import type { FormatId } from '../../src/migrate/types.js';
import { databaseUrl, useTestDatabase } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';
import { dbmateBinary, runDbmate, runNodePgMigrate } from '../support/native-tools.js';

const db = useTestDatabase();
const FIXTURES = join(import.meta.dirname, '../fixtures/migrate');

// ---------------------------------------------------------------------------------------------
// Scratch databases: one per test, so no two histories (dbmate's and golang-migrate's
// schema_migrations, public.pgmigrations, the pgwarden schema) ever share a database.

interface Scratch {
  url: string;
  /** A connection to the database (closed after the file). */
  client: pg.Client;
  query<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

const scratch: { name: string; client: pg.Client }[] = [];
let admin: pg.Client | undefined;

async function freshDatabase(label: string): Promise<Scratch> {
  const name = `pgwarden_test_fr_${randomBytes(4).toString('hex')}_${label.replace(/[^a-z0-9]+/g, '_')}`;
  if (!admin) {
    admin = new pg.Client({ connectionString: db.serverUrl });
    await admin.connect();
  }
  await admin.query(`CREATE DATABASE ${name}`);
  const url = databaseUrl(db.serverUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  scratch.push({ name, client });
  return { url, client, query: (sql, params) => client.query(sql, params as unknown[]) };
}

afterAll(async () => {
  for (const { client } of scratch) await client.end().catch(() => undefined);
  for (const { name } of scratch) await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin?.end();
});

beforeAll(() => {
  dbmateBinary(); // installs @dbmate/<platform>-<arch> into test/.tools on first use
}, 300_000);

// ---------------------------------------------------------------------------------------------
// The fixtures

interface Fixture {
  format: FormatId;
  /** The project directory (the runner's cwd), copied whole when a test edits files. */
  cwd: string;
  /** The migrations directory, relative to cwd. */
  dir: string;
  ids: string[];
  /** Tables in `public` after the whole fixture ran. */
  tables: string[];
  /** The migration that cannot run in one transaction, and the index it builds concurrently. */
  concurrent?: { id: string; index: string };
  /** The native history, column by column, as the adapter tests expect it after the fixture. */
  rowsSql: string;
  rows: () => Record<string, unknown>[];
}

const fileSha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const PLAIN_IDS = [
  '001_create_users',
  '002_create_projects_and_tasks',
  '003_tasks_updated_at_trigger',
  '004_index_tasks_project',
  '005_add_task_priority',
];
const PRISMA_IDS = [
  '20240105093000_init',
  '20240112141500_add_user_bio',
  '20240120080000_post_author_index',
  '20240202120000_updated_at_trigger',
];
const DBMATE_IDS = ['20240105093000', '20240106120000', '20240110081500', '20240112170000', '20240120101010'];
const FLYWAY_ROWS: [string | null, string, string, number][] = [
  // version, description, script, checksum (computed outside pgwarden; see flyway.test.ts)
  ['1', 'create users and posts', 'V1__create_users_and_posts.sql', -1081817478],
  ['1.1', 'add user bio', 'V1_1__add_user_bio.sql', -287968733],
  ['2', 'index posts author', 'V2__index_posts_author.sql', 216114333],
  ['2.1', 'updated at trigger', 'V2.1__updated_at_trigger.sql', 1392354013],
  ['3', 'posts title index', 'V3__posts_title_index.sql', -873915460],
  ['10', 'post stats', 'reports/V10__post_stats.sql', 1263418375],
  [null, 'active users view', 'R__active_users_view.sql', 1090653203],
];
const SUPABASE_ROWS: [string, string, number][] = [
  ['20240105093000', 'create_profiles', 2],
  ['20240112141500', 'add_profile_bio', 1],
  ['20240120080000', 'profiles_username_index', 1],
  ['20240202120000', 'handle_updated_at', 4],
];
const NPM_IDS = [
  '1700000000000_create-users',
  '1700000100000_create-projects-and-tasks',
  '1700000200000_tasks-updated-at-trigger',
  '1700000300000_index-tasks-project',
  '1700000400000_add-task-priority',
];
const SQL_MIGRATE_IDS = [
  '1_create_users.sql',
  '2_create_projects_and_tasks.sql',
  '3_tasks_updated_at_trigger.sql',
  '4_index_tasks_project.sql',
  '10_add_task_priority.sql',
];
/** sql-migrate's order of ids: by their leading number. */
const SQL_MIGRATE_ORDER = `substring(id from '^[0-9]+')::bigint, id`;

const FIXTURE: Record<FormatId, Fixture> = {
  plain: {
    format: 'plain',
    cwd: join(FIXTURES, 'plain'),
    dir: '.',
    ids: PLAIN_IDS,
    tables: ['projects', 'tasks', 'users'],
    concurrent: { id: '004_index_tasks_project', index: 'tasks_project_id_idx' },
    rowsSql: 'SELECT id, checksum FROM pgwarden.schema_migrations ORDER BY applied_at, id',
    rows: () =>
      PLAIN_IDS.map((id) => ({
        id,
        checksum: `sha256:${createHash('sha256')
          .update(readFileSync(join(FIXTURES, 'plain', `${id}.sql`), 'utf8').replaceAll('\r\n', '\n'))
          .digest('hex')}`,
      })),
  },
  prisma: {
    format: 'prisma',
    cwd: join(FIXTURES, 'prisma'),
    dir: 'migrations',
    ids: PRISMA_IDS,
    tables: ['Post', 'User', '_prisma_migrations'],
    rowsSql: `SELECT migration_name, checksum, logs, rolled_back_at, applied_steps_count,
                     finished_at IS NOT NULL AS finished
                FROM _prisma_migrations ORDER BY started_at`,
    rows: () =>
      PRISMA_IDS.map((id) => ({
        migration_name: id,
        checksum: fileSha256(join(FIXTURES, 'prisma/migrations', id, 'migration.sql')),
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
        finished: true,
      })),
  },
  dbmate: {
    format: 'dbmate',
    cwd: join(FIXTURES, 'dbmate'),
    dir: '.',
    ids: DBMATE_IDS,
    tables: ['projects', 'schema_migrations', 'tasks', 'users'],
    concurrent: { id: '20240112170000', index: 'tasks_project_id_idx' },
    rowsSql: 'SELECT version FROM schema_migrations ORDER BY version',
    rows: () => DBMATE_IDS.map((version) => ({ version })),
  },
  'golang-migrate': {
    format: 'golang-migrate',
    cwd: join(FIXTURES, 'golang-migrate'),
    dir: '.',
    ids: ['1', '2', '3', '4', '5'],
    tables: ['projects', 'schema_migrations', 'tasks', 'users'],
    concurrent: { id: '4', index: 'tasks_project_id_idx' },
    rowsSql: 'SELECT version, dirty FROM schema_migrations',
    rows: () => [{ version: '5', dirty: false }],
  },
  flyway: {
    format: 'flyway',
    cwd: join(FIXTURES, 'flyway'),
    dir: 'sql',
    ids: ['1', '1.1', '2', '2.1', '3', '10', 'R__active users view'],
    tables: ['flyway_schema_history', 'post_stats', 'posts', 'users'],
    concurrent: { id: '3', index: 'posts_title_idx' },
    rowsSql: `SELECT installed_rank, version, description, type, script, checksum, success,
                     installed_by = current_user AS by_me
                FROM flyway_schema_history ORDER BY installed_rank`,
    rows: () =>
      FLYWAY_ROWS.map(([version, description, script, checksum], i) => ({
        installed_rank: i + 1,
        version,
        description,
        type: 'SQL',
        script,
        checksum,
        success: true,
        by_me: true,
      })),
  },
  supabase: {
    format: 'supabase',
    cwd: join(FIXTURES, 'supabase'),
    dir: 'supabase/migrations',
    ids: SUPABASE_ROWS.map(([version]) => version),
    tables: ['profiles'],
    rowsSql: `SELECT version, name, cardinality(statements) AS statements
                FROM supabase_migrations.schema_migrations ORDER BY version`,
    rows: () => SUPABASE_ROWS.map(([version, name, statements]) => ({ version, name, statements })),
  },
  'node-pg-migrate': {
    format: 'node-pg-migrate',
    cwd: join(FIXTURES, 'node-pg-migrate'),
    dir: '.',
    ids: NPM_IDS,
    tables: ['pgmigrations', 'projects', 'tasks', 'users'],
    rowsSql: 'SELECT name, run_on IS NOT NULL AS has_run_on FROM pgmigrations ORDER BY run_on, id',
    rows: () => NPM_IDS.map((name) => ({ name, has_run_on: true })),
  },
  'sql-migrate': {
    format: 'sql-migrate',
    cwd: join(FIXTURES, 'sql-migrate'),
    dir: 'migrations',
    ids: SQL_MIGRATE_IDS,
    tables: ['gorp_migrations', 'projects', 'tasks', 'users'],
    concurrent: { id: '4_index_tasks_project.sql', index: 'tasks_project_id_idx' },
    rowsSql: `SELECT id, applied_at IS NOT NULL AS has_applied_at FROM gorp_migrations ORDER BY ${SQL_MIGRATE_ORDER}`,
    rows: () => SQL_MIGRATE_IDS.map((id) => ({ id, has_applied_at: true })),
  },
  diesel: {
    format: 'diesel',
    cwd: join(FIXTURES, 'diesel'),
    dir: 'migrations',
    ids: [
      '00000000000000',
      '20240105093000',
      '20240106120000',
      '20240110081500',
      '20240112170000',
      '202401201010100000',
    ],
    tables: ['__diesel_schema_migrations', 'projects', 'tasks', 'users'],
    concurrent: { id: '20240112170000', index: 'tasks_project_id_idx' },
    // run_on as diesel's UTC session gives it
    rowsSql: `SELECT version, abs(extract(epoch FROM (now() AT TIME ZONE 'UTC') - run_on)) < 300 AS utc_now
                FROM __diesel_schema_migrations ORDER BY version`,
    rows: () => FIXTURE.diesel.ids.map((version) => ({ version, utc_now: true })),
  },
};

const ALL = Object.values(FIXTURE);

/**
 * The native history as one line per row, for every format: the id the runner uses, plus
 * `dirty` (golang-migrate), `unfinished` / `rolled back` (Prisma) or `failed` (Flyway).
 */
const HISTORY_LINES: Record<FormatId, string> = {
  plain: 'SELECT id AS line FROM pgwarden.schema_migrations ORDER BY applied_at, id',
  prisma: `SELECT migration_name || CASE WHEN rolled_back_at IS NOT NULL THEN ' rolled back'
                                         WHEN finished_at IS NULL THEN ' unfinished' ELSE '' END AS line
             FROM _prisma_migrations ORDER BY started_at, finished_at NULLS FIRST`,
  dbmate: 'SELECT version AS line FROM schema_migrations ORDER BY version',
  'golang-migrate': `SELECT version::text || CASE WHEN dirty THEN ' dirty' ELSE '' END AS line FROM schema_migrations`,
  flyway: `SELECT coalesce(version, 'R__' || description) || CASE WHEN success THEN '' ELSE ' failed' END AS line
             FROM flyway_schema_history ORDER BY installed_rank`,
  supabase: 'SELECT version AS line FROM supabase_migrations.schema_migrations ORDER BY version',
  'node-pg-migrate': 'SELECT name AS line FROM pgmigrations ORDER BY run_on, id',
  'sql-migrate': `SELECT id AS line FROM gorp_migrations ORDER BY ${SQL_MIGRATE_ORDER}`,
  diesel: 'SELECT version AS line FROM __diesel_schema_migrations ORDER BY version',
};

async function historyLines(d: Scratch, format: FormatId): Promise<string[]> {
  return (await d.query(HISTORY_LINES[format])).rows.map((row) => row.line);
}

/** The native history of a clean run that applied `ids` (golang-migrate keeps only the last). */
function cleanHistory(format: FormatId, ids: string[]): string[] {
  if (format === 'golang-migrate') return ids.length ? [ids.at(-1)!] : [];
  return ids;
}

function options(f: Fixture, url: string, cwd = f.cwd, extra: object = {}) {
  return { databaseUrl: url, cwd, dir: f.dir, format: f.format, allowUncommitted: true, ...extra };
}

/** A copy of the fixture's project directory, for tests that edit files. */
function copyOf(f: Fixture): string {
  const root = tempDir();
  cpSync(f.cwd, root, { recursive: true });
  return root;
}

async function publicTables(d: Scratch): Promise<string[]> {
  const { rows } = await d.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  return rows.map((r) => r.tablename as string).sort();
}

async function hasColumn(d: Scratch, table: string, column: string): Promise<boolean> {
  const { rows } = await d.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`,
    [table, column],
  );
  return rows.length === 1;
}

/** true / false for a valid / invalid index, undefined when there is none. */
async function indexValid(d: Scratch, index: string): Promise<boolean | undefined> {
  const { rows } = await d.query(
    `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
    [index],
  );
  return rows[0]?.indisvalid;
}

async function ledger(d: Scratch, format: FormatId) {
  const { rows } = await d.query(
    `SELECT id, checksum, status FROM pgwarden.migrations WHERE format = $1 ORDER BY started_at, id`,
    [format],
  );
  return rows as { id: string; checksum: string; status: string }[];
}

async function statesOf(f: Fixture, url: string, cwd = f.cwd): Promise<[string, string][]> {
  return (await status(options(f, url, cwd))).entries.map((e) => [e.id, e.state]);
}

// ---------------------------------------------------------------------------------------------

describe.each(ALL)('$format fixture: migrate end to end', (f) => {
  it('applies the whole fixture, records it natively and in the ledger, then has nothing left to do', async () => {
    const d = await freshDatabase(`all_${f.format}`);
    expect(await statesOf(f, d.url)).toEqual(f.ids.map((id) => [id, 'pending']));

    const result = await migrate(options(f, d.url));
    expect(result.format).toBe(f.format);
    expect(result.applied.map((a) => a.id)).toEqual(f.ids);
    expect(result.remaining).toEqual([]);
    // only the migration with CREATE INDEX CONCURRENTLY runs statement by statement
    expect(result.applied.map((a) => [a.id, a.mode])).toEqual(
      f.ids.map((id) => [id, id === f.concurrent?.id ? 'statements' : 'transaction']),
    );
    if (f.concurrent) expect(await indexValid(d, f.concurrent.index)).toBe(true);
    expect(await publicTables(d)).toEqual(f.tables);

    const after = await status(options(f, d.url));
    expect(after.entries.map((e) => [e.id, e.state])).toEqual(f.ids.map((id) => [id, 'applied']));
    expect(after.counts).toEqual({
      applied: f.ids.length,
      pending: 0,
      modified: 0,
      missing: 0,
      failed: 0,
      partial: 0,
    });

    expect((await migrate(options(f, d.url))).applied).toEqual([]);

    expect((await d.query(f.rowsSql)).rows).toEqual(f.rows());

    const own = await ledger(d, f.format);
    expect(own.map((r) => r.id)).toEqual(f.ids);
    expect(own.every((r) => /^sha256:[0-9a-f]{64}$/.test(r.checksum) && r.status === 'applied')).toBe(true);
    expect(own.map((r) => r.checksum)).toEqual(
      FORMATS[f.format].read(join(f.cwd, f.dir)).map((m) => m.checksum),
    );
    const total = await d.query('SELECT count(*)::int AS n FROM pgwarden.migrations');
    expect(total.rows[0].n).toBe(f.ids.length);
    const progress = await d.query('SELECT count(*)::int AS n FROM pgwarden.statement_progress');
    expect(progress.rows[0].n).toBe(0);

    // the migrated database names the same format when asked to detect it
    const detected = await status({ databaseUrl: d.url, cwd: f.cwd, dir: f.dir, format: 'auto' });
    expect(detected.format).toBe(f.format);
  });
});

describe('native tools on what pgwarden wrote', () => {
  const f = FIXTURE.dbmate;
  const dir = f.cwd;

  it('dbmate: nothing pending after pgwarden migrate; dbmate rollback works; pgwarden rollbacks are pending for dbmate', async () => {
    const d = await freshDatabase('native_dbmate');
    await migrate(options(f, d.url));
    const st = await runDbmate(d.url, dir, ['status']);
    expect(st.status).toBe(0);
    expect(st.stdout).toContain('Applied: 5\nPending: 0');

    const down = await runDbmate(d.url, dir, ['rollback']);
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('Rolled back: 20240120101010_add_task_priority.sql');
    expect(await hasColumn(d, 'tasks', 'priority')).toBe(false);
    expect((await statesOf(f, d.url)).at(-1)).toEqual(['20240120101010', 'pending']);
    expect((await migrate(options(f, d.url))).applied.map((a) => a.id)).toEqual(['20240120101010']);
    expect(await hasColumn(d, 'tasks', 'priority')).toBe(true);

    // two steps back, the second one the transaction:false DROP INDEX CONCURRENTLY
    const back = await rollback(options(f, d.url, f.cwd, { steps: 2 }));
    expect(back.rolledBack.map((r) => [r.id, r.mode])).toEqual([
      ['20240120101010', 'transaction'],
      ['20240112170000', 'statements'],
    ]);
    expect(await indexValid(d, 'tasks_project_id_idx')).toBeUndefined();
    expect(await historyLines(d, 'dbmate')).toEqual(DBMATE_IDS.slice(0, 3));
    const pending = await runDbmate(d.url, dir, ['status']);
    expect(pending.stdout).toContain(
      '[X] 20240110081500_tasks_updated_at_trigger.sql\n[ ] 20240112170000_index_tasks_project.sql\n[ ] 20240120101010_add_task_priority.sql',
    );
    expect(pending.stdout).toContain('Applied: 3\nPending: 2');
    const up = await runDbmate(d.url, dir, ['up']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('Applying: 20240112170000_index_tasks_project.sql');
    expect(up.stdout).toContain('Applying: 20240120101010_add_task_priority.sql');
    expect(await indexValid(d, 'tasks_project_id_idx')).toBe(true);
    expect(await statesOf(f, d.url)).toEqual(f.ids.map((id) => [id, 'applied']));
  });

  it('node-pg-migrate: nothing to run after pgwarden migrate; its down works; pgwarden rollbacks are run again by its up', async () => {
    const n = FIXTURE['node-pg-migrate'];
    const d = await freshDatabase('native_npm');
    await migrate(options(n, d.url));
    const up = await runNodePgMigrate(d.url, n.cwd, ['up']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('No migrations to run!');

    const down = await runNodePgMigrate(d.url, n.cwd, ['down']);
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('### MIGRATION 1700000400000_add-task-priority (DOWN) ###');
    expect(await hasColumn(d, 'tasks', 'priority')).toBe(false);
    expect((await statesOf(n, d.url)).at(-1)).toEqual(['1700000400000_add-task-priority', 'pending']);
    expect((await migrate(options(n, d.url))).applied.map((a) => a.id)).toEqual([
      '1700000400000_add-task-priority',
    ]);

    const back = await rollback(options(n, d.url, n.cwd, { steps: 2 }));
    expect(back.rolledBack.map((r) => r.id)).toEqual(NPM_IDS.slice(3).reverse());
    expect(await historyLines(d, 'node-pg-migrate')).toEqual(NPM_IDS.slice(0, 3));
    const again = await runNodePgMigrate(d.url, n.cwd, ['up']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(
      '> - 1700000300000_index-tasks-project\n> - 1700000400000_add-task-priority',
    );
    expect(await hasColumn(d, 'tasks', 'priority')).toBe(true);
    expect(await statesOf(n, d.url)).toEqual(n.ids.map((id) => [id, 'applied']));
  });
});

// ---------------------------------------------------------------------------------------------

const BROKEN = 'CREATE TABLE broken_marker (id int);\nINSERT INTO broken_marker VALUES (1 / 0);\n';
const FIXED = 'CREATE TABLE broken_marker (id int);\nINSERT INTO broken_marker VALUES (1);\n';

interface BrokenMigration {
  format: FormatId;
  /** Files to write, relative to the migrations directory, given the up SQL. */
  files: (sql: string) => Record<string, string>;
  id: string;
  /** `file:line` of the failing INSERT, as the error must name it. */
  at: string;
}

const BROKEN_CASES: BrokenMigration[] = [
  { format: 'plain', files: (sql) => ({ '006_broken.sql': sql }), id: '006_broken', at: '006_broken.sql:2' },
  {
    format: 'prisma',
    files: (sql) => ({ '20240301000000_broken/migration.sql': sql }),
    id: '20240301000000_broken',
    at: 'migration.sql:2',
  },
  {
    format: 'dbmate',
    files: (sql) => ({
      '20240301000000_broken.sql': `-- migrate:up\n${sql}\n-- migrate:down\nDROP TABLE broken_marker;\n`,
    }),
    id: '20240301000000',
    at: '20240301000000_broken.sql:3',
  },
  {
    format: 'golang-migrate',
    files: (sql) => ({
      '000006_broken.up.sql': sql,
      '000006_broken.down.sql': 'DROP TABLE broken_marker;\n',
    }),
    id: '6',
    at: '000006_broken.up.sql:2',
  },
  { format: 'flyway', files: (sql) => ({ 'V11__broken.sql': sql }), id: '11', at: 'V11__broken.sql:2' },
  {
    format: 'supabase',
    files: (sql) => ({ '20240301000000_broken.sql': sql }),
    id: '20240301000000',
    at: '20240301000000_broken.sql:2',
  },
  {
    format: 'node-pg-migrate',
    files: (sql) => ({
      '1700000500000_broken.sql': `-- Up Migration\n${sql}\n-- Down Migration\nDROP TABLE broken_marker;\n`,
    }),
    id: '1700000500000_broken',
    at: '1700000500000_broken.sql:3',
  },
  {
    format: 'diesel',
    files: (sql) => ({
      '2024-03-01-000000_broken/up.sql': sql,
      '2024-03-01-000000_broken/down.sql': 'DROP TABLE broken_marker;\n',
    }),
    id: '20240301000000',
    at: '2024-03-01-000000_broken/up.sql:2',
  },
];

/** Writes `files` (relative to the migrations directory `dir` of the project `root`). */
function writeFiles(root: string, dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const path = join(root, dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

describe.each(BROKEN_CASES)('$format: a failing migration', (c) => {
  const f = FIXTURE[c.format];

  it('fails with MIGRATION_FAILED, leaves the native history clean and the migration pending; fixed, it applies', async () => {
    const d = await freshDatabase(`broken_${c.format}`);
    const root = copyOf(f);
    writeFiles(root, f.dir, c.files(BROKEN));
    const all = FORMATS[c.format].read(join(root, f.dir)).map((m) => m.id);
    const before = all.slice(0, all.indexOf(c.id));
    expect(before.length).toBeGreaterThan(0);

    const error = await rejection(migrate(options(f, d.url, root)));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain(`${c.at}: ${c.id} failed at statement 2 of 2: division by zero`);
    expect(error.message).toContain('the migration was rolled back, nothing of it is applied');
    expect((await d.query(`SELECT to_regclass('broken_marker') AS t`)).rows[0].t).toBeNull();

    // no dirty flag, no unfinished or failed row, no row at all for it
    expect(await historyLines(d, c.format)).toEqual(cleanHistory(c.format, before));
    expect(await statesOf(f, d.url, root)).toEqual(
      all.map((id) => [id, before.includes(id) ? 'applied' : 'pending']),
    );
    expect((await ledger(d, c.format)).map((r) => r.id)).toEqual(before);
    const failed = await d.query(`SELECT migration_id FROM pgwarden.events WHERE kind = 'migration.failed'`);
    expect(failed.rows).toEqual([{ migration_id: c.id }]);

    writeFiles(root, f.dir, c.files(FIXED));
    const result = await migrate(options(f, d.url, root));
    expect(result.applied.map((a) => a.id)).toEqual(all.slice(before.length));
    expect((await d.query('SELECT id FROM broken_marker')).rows).toEqual([{ id: 1 }]);
    expect(await historyLines(d, c.format)).toEqual(cleanHistory(c.format, all));
    expect(await statesOf(f, d.url, root)).toEqual(all.map((id) => [id, 'applied']));
  });
});

// ---------------------------------------------------------------------------------------------

interface Interrupted {
  format: FormatId;
  /** The migration's file (relative to the migrations directory), with `after` following the CIC. */
  file: string;
  text: (after: string) => string;
  id: string;
  index: string;
  /** The table the statement after the CIC alters once fixed. */
  table: string;
  /** The native history right after the failure, given the ids applied before. */
  stopped: (before: string[]) => string[];
}

const original = (f: Fixture, file: string) => readFileSync(join(f.cwd, f.dir, file), 'utf8');

const INTERRUPTED: Interrupted[] = [
  {
    format: 'golang-migrate',
    file: '000004_index_tasks_project.up.sql',
    text: (after) => `${original(FIXTURE['golang-migrate'], '000004_index_tasks_project.up.sql')}${after}`,
    id: '4',
    index: 'tasks_project_id_idx',
    table: 'tasks',
    // golang-migrate's own semantics: SetVersion(4, dirty) committed before the file, never cleared
    stopped: () => ['4 dirty'],
  },
  {
    format: 'dbmate',
    file: '20240112170000_index_tasks_project.sql',
    text: (after) =>
      `-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY tasks_project_id_idx ON tasks (project_id);\n${after}\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY tasks_project_id_idx;\n`,
    id: '20240112170000',
    index: 'tasks_project_id_idx',
    table: 'tasks',
    // dbmate records a transaction:false section only after all of it ran
    stopped: (before) => before,
  },
  {
    format: 'flyway',
    file: 'V3__posts_title_index.sql',
    text: (after) => `${original(FIXTURE.flyway, 'V3__posts_title_index.sql')}${after}`,
    id: '3',
    index: 'posts_title_idx',
    table: 'posts',
    // nothing recorded before the end (no success = false row: pgwarden's ledger holds the progress)
    stopped: (before) => before,
  },
  {
    format: 'prisma',
    file: '20240301000000_post_title_index/migration.sql',
    text: (after) => `CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");\n${after}`,
    id: '20240301000000_post_title_index',
    index: 'Post_title_idx',
    table: 'Post',
    // Prisma's record_migration_started row, as Prisma leaves it when a run dies mid-way
    stopped: (before) => [...before, '20240301000000_post_title_index unfinished'],
  },
  {
    format: 'sql-migrate',
    file: '4_index_tasks_project.sql',
    text: (after) =>
      `-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY tasks_project_id_idx ON tasks (project_id);\n${after}\n-- +migrate Down notransaction\nDROP INDEX CONCURRENTLY tasks_project_id_idx;\n`,
    id: '4_index_tasks_project.sql',
    index: 'tasks_project_id_idx',
    table: 'tasks',
    // sql-migrate inserts the row of a notransaction migration only after all its statements ran
    stopped: (before) => before,
  },
  {
    format: 'diesel',
    file: '2024-01-12-170000_index_tasks_project/up.sql',
    text: (after) => `${original(FIXTURE.diesel, '2024-01-12-170000_index_tasks_project/up.sql')}${after}`,
    id: '20240112170000',
    index: 'tasks_project_id_idx',
    table: 'tasks',
    // diesel inserts the version of a run_in_transaction = false migration only after its file ran
    stopped: (before) => before,
  },
];

describe.each(INTERRUPTED)(
  '$format: interrupted inside a migration that cannot run in one transaction',
  (c) => {
    const f = FIXTURE[c.format];

    it('keeps the native "started" state and shows partial; fixed, migrate resumes after the CIC and finishes the native record', async () => {
      const d = await freshDatabase(`partial_${c.format}`);
      const root = copyOf(f);
      writeFiles(root, f.dir, {
        [c.file]: c.text('ALTER TABLE no_such_table ADD COLUMN archived boolean;\n'),
      });
      const all = FORMATS[c.format].read(join(root, f.dir)).map((m) => m.id);
      const before = all.slice(0, all.indexOf(c.id));

      const error = await rejection(migrate(options(f, d.url, root)));
      expect(error.code).toBe('MIGRATION_FAILED');
      expect(error.message).toContain(
        `${c.id} failed at statement 2 of 2: relation "no_such_table" does not exist`,
      );
      // the CIC before the failing statement is applied and stays so: the message must not say otherwise
      expect.soft(error.message).toContain('the next run resumes at this statement');
      expect.soft(error.message).not.toContain('nothing of it is applied');
      expect(await indexValid(d, c.index)).toBe(true);
      expect(await historyLines(d, c.format)).toEqual(c.stopped(before));
      expect(await statesOf(f, d.url, root)).toEqual(
        all.map((id) => [id, before.includes(id) ? 'applied' : id === c.id ? 'partial' : 'pending']),
      );
      expect((await ledger(d, c.format)).find((r) => r.id === c.id)?.status).toBe('partial');
      const progress = await d.query('SELECT id, statement_index FROM pgwarden.statement_progress');
      expect(progress.rows).toEqual([{ id: c.id, statement_index: 0 }]);

      writeFiles(root, f.dir, {
        [c.file]: c.text(`ALTER TABLE "${c.table}" ADD COLUMN archived boolean;\n`),
      });
      const result = await migrate(options(f, d.url, root));
      expect(result.applied.map((a) => a.id)).toEqual(all.slice(before.length));
      expect(result.applied[0]).toMatchObject({ id: c.id, mode: 'statements', resumedFrom: 1 });
      expect(await hasColumn(d, c.table, 'archived')).toBe(true);
      expect(await indexValid(d, c.index)).toBe(true);
      expect(await historyLines(d, c.format)).toEqual(cleanHistory(c.format, all));
      expect(await statesOf(f, d.url, root)).toEqual(all.map((id) => [id, 'applied']));
      expect((await d.query('SELECT count(*)::int AS n FROM pgwarden.statement_progress')).rows[0].n).toBe(0);
    });
  },
);

// ---------------------------------------------------------------------------------------------

/** Each fixture's folder scores (detectFolder > 0): plain's 1 always loses, so none is a tie. */
const FOLDER_SCORES: Record<FormatId, Partial<Record<FormatId, number>>> = {
  plain: { plain: 1 },
  prisma: { prisma: 3 },
  dbmate: { plain: 1, dbmate: 2 },
  'golang-migrate': { plain: 1, 'golang-migrate': 2 },
  flyway: { flyway: 3 },
  supabase: { plain: 1, supabase: 3 },
  'node-pg-migrate': { plain: 1, 'node-pg-migrate': 2 },
  'sql-migrate': { plain: 1, 'sql-migrate': 2 },
  diesel: { diesel: 3 },
};

describe('format: auto', () => {
  it.each(ALL)('$format fixture: decided by the folder alone (no history in the database)', async (f) => {
    const dir = join(f.cwd, f.dir);
    const scores = Object.values(FORMATS)
      .map((format) => [format.id, format.detectFolder(dir)] as const)
      .filter(([, score]) => score > 0);
    expect(Object.fromEntries(scores)).toEqual(FOLDER_SCORES[f.format]);
    const client = await db.connect(); // this file's own database, never migrated
    const source = await loadMigrations({ cwd: f.cwd, dir: f.dir, format: 'auto', client });
    expect([source.format.id, source.detectedBy]).toEqual([f.format, 'folder']);
    expect(source.migrations.map((m) => m.id)).toEqual(f.ids);
    expect((await loadMigrations({ cwd: f.cwd, dir: f.dir })).format.id).toBe(f.format);
  });

  // golang-migrate runs the whole up file; dbmate only its `-- migrate:up` section
  const tie = {
    '000001_users.up.sql':
      '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n',
  };

  it('a folder that is dbmate and golang-migrate alike: refused while the database does not tell', async () => {
    const dir = tempDir(tie);
    const d = await freshDatabase('tie_none');
    const error = await rejection(migrate({ databaseUrl: d.url, cwd: dir, dir, allowUncommitted: true }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${dir}: the folder could be dbmate or golang-migrate, and the database does not tell`,
    );
    expect(error.hint).toContain('Set migrations.format');
    expect(await publicTables(d)).toEqual([]);
  });

  it("the same folder on a database with golang-migrate's schema_migrations(version bigint, dirty): golang-migrate would run the dbmate down section as up, so it is refused", async () => {
    const dir = tempDir(tie);
    const d = await freshDatabase('tie_golang');
    // as golang-migrate's postgres driver creates it (ensureVersionTable)
    await d.query(
      'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)',
    );
    const error = await rejection(migrate({ databaseUrl: d.url, cwd: dir, dir, allowUncommitted: true }));
    expect(error.code).toBe('FORMAT_MISMATCH');
    expect(error.message).toContain(
      `000001_users.up.sql line 3 is dbmate's down marker ("-- migrate:down"), inside what the golang-migrate format runs as the up migration`,
    );
    expect(await historyLines(d, 'golang-migrate')).toEqual([]);
    expect(await publicTables(d)).toEqual(['schema_migrations']);
  });

  it("the same folder on a database with dbmate's schema_migrations(version varchar) runs as dbmate", async () => {
    const dir = tempDir(tie);
    const d = await freshDatabase('tie_dbmate');
    await d.query('CREATE TABLE schema_migrations (version varchar PRIMARY KEY)'); // dbmate 2.36's DDL
    const result = await migrate({ databaseUrl: d.url, cwd: dir, dir, allowUncommitted: true });
    expect(result.format).toBe('dbmate');
    expect(await historyLines(d, 'dbmate')).toEqual(['000001']);
    expect(await publicTables(d)).toEqual(['schema_migrations', 'users']);
    expect((await runDbmate(d.url, dir, ['status'])).stdout).toContain('Applied: 1\nPending: 0');
  });

  it('a plain-looking folder that node-pg-migrate applied (SQL files without markers) is taken as node-pg-migrate', async () => {
    const dir = tempDir({
      '1700000000000_users.sql': 'CREATE TABLE users (id int);\n',
      '1700000100000_posts.sql': 'CREATE TABLE posts (id int);\n',
    });
    const d = await freshDatabase('plainlike_npm');
    // node-pg-migrate runs a SQL file without `-- Up Migration` whole, as its up migration
    const up = await runNodePgMigrate(d.url, dir, ['up']);
    expect(up.status).toBe(0);
    expect(await historyLines(d, 'node-pg-migrate')).toEqual(['1700000000000_users', '1700000100000_posts']);
    const source = await loadMigrations({ cwd: dir, dir, format: 'auto', client: d.client });
    expect.soft([source.format.id, source.detectedBy]).toEqual(['node-pg-migrate', 'database']);
    // and nothing node-pg-migrate applied is run a second time
    const run = await migrate({ databaseUrl: d.url, cwd: dir, dir, allowUncommitted: true }).then(
      (result) => result.applied.map((a) => a.id),
      (error: Error) => error.message,
    );
    expect(run).toEqual([]);
  });

  it("a plain folder stays plain on a database with golang-migrate's table: golang-migrate cannot read its file names", async () => {
    const dir = tempDir({ '001_users.sql': 'CREATE TABLE users (id int);\n' });
    const d = await freshDatabase('plain_golang');
    await d.query(
      'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)',
    );
    await d.query('INSERT INTO schema_migrations VALUES (20230101000000, false)');
    const result = await migrate({ databaseUrl: d.url, cwd: dir, dir, allowUncommitted: true });
    expect(result.format).toBe('plain');
    expect(result.applied.map((a) => a.id)).toEqual(['001_users']);
    expect(await historyLines(d, 'golang-migrate')).toEqual(['20230101000000']);
  });
});

// ---------------------------------------------------------------------------------------------

async function resolvedEvents(d: Scratch) {
  const { rows } = await d.query(
    `SELECT migration_id, detail->>'as' AS as, detail->>'was' AS was FROM pgwarden.events
      WHERE kind = 'migration.resolved' ORDER BY event_id`,
  );
  return rows;
}

describe('blocking native states, cleared with resolve', () => {
  const g = FIXTURE['golang-migrate'];
  const p = FIXTURE.prisma;

  it('golang-migrate: a dirty version left by the tool blocks migrate; resolved as rolled-back, migrate runs it', async () => {
    const d = await freshDatabase('dirty_rb');
    await migrate(options(g, d.url, g.cwd, { target: '3' }));
    // what golang-migrate leaves when 000004 fails: SetVersion(4, dirty = true), committed
    await d.query('TRUNCATE schema_migrations; INSERT INTO schema_migrations VALUES (4, true)');
    expect((await statesOf(g, d.url)).slice(3)).toEqual([
      ['4', 'failed'],
      ['5', 'pending'],
    ]);

    const error = await rejection(migrate(options(g, d.url)));
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain(
      '000004_index_tasks_project.up.sql: failed (dirty version 4: the migration started and did not finish)',
    );
    expect(error.hint).toContain('pgwarden resolve');
    expect(await historyLines(d, 'golang-migrate')).toEqual(['4 dirty']);
    expect(await indexValid(d, 'tasks_project_id_idx')).toBeUndefined();

    const notFailed = await rejection(resolve({ ...options(g, d.url), migration: '3', as: 'rolled-back' }));
    expect(notFailed.code).toBe('USAGE');
    expect(notFailed.message).toBe('3 is applied: there is nothing to resolve');

    const resolved = await resolve({ ...options(g, d.url), migration: '4', as: 'rolled-back' });
    expect(resolved.changed).toBe(
      'public.schema_migrations: version set to 3, clean (like `migrate force 3`)',
    );
    expect(await historyLines(d, 'golang-migrate')).toEqual(['3']);
    expect(await resolvedEvents(d)).toEqual([{ migration_id: '4', as: 'rolled-back', was: 'failed' }]);
    expect((await statesOf(g, d.url)).slice(3)).toEqual([
      ['4', 'pending'],
      ['5', 'pending'],
    ]);
    expect((await migrate(options(g, d.url))).applied.map((a) => a.id)).toEqual(['4', '5']);
    expect(await historyLines(d, 'golang-migrate')).toEqual(['5']);
  });

  it('golang-migrate: a dirty version whose SQL did run, resolved as applied, counts as applied', async () => {
    const d = await freshDatabase('dirty_ok');
    await migrate(options(g, d.url, g.cwd, { target: '4' }));
    await d.query('ALTER TABLE tasks ADD COLUMN priority smallint NOT NULL DEFAULT 0'); // finished by hand
    await d.query('TRUNCATE schema_migrations; INSERT INTO schema_migrations VALUES (5, true)');
    expect((await rejection(migrate(options(g, d.url)))).code).toBe('MIGRATIONS_INCONSISTENT');

    const resolved = await resolve({
      ...options(g, d.url),
      migration: '000005_add_task_priority.up.sql',
      as: 'applied',
    });
    expect(resolved.id).toBe('5');
    expect(await historyLines(d, 'golang-migrate')).toEqual(['5']);
    expect(await resolvedEvents(d)).toEqual([{ migration_id: '5', as: 'applied', was: 'failed' }]);
    const own = (await ledger(d, 'golang-migrate')).find((r) => r.id === '5');
    expect(own).toEqual({
      id: '5',
      checksum: FORMATS['golang-migrate'].read(g.cwd)[4]!.checksum,
      status: 'applied',
    });
    expect(await statesOf(g, d.url)).toEqual(g.ids.map((id) => [id, 'applied']));
    expect((await migrate(options(g, d.url))).applied).toEqual([]);
  });

  /** The row Prisma leaves when a migration fails: started, not finished, the error in `logs`. */
  async function prismaFailedRow(d: Scratch, name: string, logs: string | null): Promise<void> {
    await d.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
       VALUES (gen_random_uuid()::text, $1, $2, $3, now(), 0)`,
      [fileSha256(join(p.cwd, p.dir, name, 'migration.sql')), name, logs],
    );
  }

  it('Prisma: an unfinished row blocks migrate (like P3009); resolved as rolled-back, migrate runs the migration', async () => {
    const d = await freshDatabase('prisma_rb');
    await migrate(options(p, d.url, p.cwd, { target: '20240112141500_add_user_bio' }));
    const logs = 'Database error code: 40P01\n\nDatabase error:\nERROR: deadlock detected';
    await prismaFailedRow(d, '20240120080000_post_author_index', logs);

    const error = await rejection(migrate(options(p, d.url)));
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain(`20240120080000_post_author_index/migration.sql: failed (${logs})`);
    expect(await indexValid(d, 'Post_authorId_idx')).toBeUndefined();

    const resolved = await resolve({
      ...options(p, d.url),
      migration: '20240120080000_post_author_index',
      as: 'rolled-back',
    });
    expect(resolved.changed).toBe(
      'public._prisma_migrations: marked 1 failed row(s) of 20240120080000_post_author_index rolled back',
    );
    expect(await historyLines(d, 'prisma')).toEqual([
      ...PRISMA_IDS.slice(0, 2),
      '20240120080000_post_author_index rolled back',
    ]);
    expect(await resolvedEvents(d)).toEqual([
      { migration_id: '20240120080000_post_author_index', as: 'rolled-back', was: 'failed' },
    ]);
    expect((await migrate(options(p, d.url))).applied.map((a) => a.id)).toEqual(PRISMA_IDS.slice(2));
    expect(await historyLines(d, 'prisma')).toEqual([
      ...PRISMA_IDS.slice(0, 2),
      '20240120080000_post_author_index rolled back',
      ...PRISMA_IDS.slice(2),
    ]);
    expect(await indexValid(d, 'Post_authorId_idx')).toBe(true);
  });

  it('Prisma: an unfinished row of a run that died, its SQL done by hand, resolved as applied', async () => {
    const d = await freshDatabase('prisma_ok');
    await migrate(options(p, d.url, p.cwd, { target: '20240120080000_post_author_index' }));
    const last = '20240202120000_updated_at_trigger';
    await d.query(readFileSync(join(p.cwd, p.dir, last, 'migration.sql'), 'utf8'));
    await prismaFailedRow(d, last, null);
    const before = await status(options(p, d.url));
    expect(before.entries.at(-1)).toMatchObject({ id: last, state: 'failed' });
    expect(before.entries.at(-1)!.detail).toMatch(/^started at .* and never finished \(no logs recorded\)$/);

    await resolve({ ...options(p, d.url), migration: last, as: 'applied' });
    // prisma migrate resolve --applied: the failed row rolled back, a new finished row beside it
    expect(await historyLines(d, 'prisma')).toEqual([...PRISMA_IDS.slice(0, 3), `${last} rolled back`, last]);
    expect(await resolvedEvents(d)).toEqual([{ migration_id: last, as: 'applied', was: 'failed' }]);
    expect(await statesOf(p, d.url)).toEqual(PRISMA_IDS.map((id) => [id, 'applied']));
    expect((await migrate(options(p, d.url))).applied).toEqual([]);
  });

  it('Flyway: a success = false row blocks migrate; resolved as rolled-back (repair), migrate runs it', async () => {
    const fw = FIXTURE.flyway;
    const d = await freshDatabase('flyway_failed');
    await migrate(options(fw, d.url, fw.cwd, { target: '2.1' }));
    // what Flyway writes after a failed non-transactional script
    await d.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,
                                          installed_by, execution_time, success)
       VALUES (5, '3', 'posts title index', 'SQL', 'V3__posts_title_index.sql', -873915460, current_user, 12, false)`,
    );
    const error = await rejection(migrate(options(fw, d.url)));
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain(
      'V3__posts_title_index.sql: failed (Flyway recorded V3__posts_title_index.sql as failed (success = false)',
    );
    await resolve({ ...options(fw, d.url), migration: 'V3__posts_title_index.sql', as: 'rolled-back' });
    expect(await historyLines(d, 'flyway')).toEqual(['1', '1.1', '2', '2.1']);
    expect(await resolvedEvents(d)).toEqual([{ migration_id: '3', as: 'rolled-back', was: 'failed' }]);
    expect((await migrate(options(fw, d.url))).applied.map((a) => a.id)).toEqual(fw.ids.slice(4));
    expect(await historyLines(d, 'flyway')).toEqual(fw.ids);
  });
});

// ---------------------------------------------------------------------------------------------

describe.each([FIXTURE.prisma, FIXTURE.flyway, FIXTURE.supabase])('$format: rollback', (f) => {
  it('is refused with a USAGE error naming the format, and changes nothing', async () => {
    const d = await freshDatabase(`norollback_${f.format}`);
    await migrate(options(f, d.url));
    const history = await historyLines(d, f.format);
    const tables = await publicTables(d);
    const events = await d.query('SELECT kind FROM pgwarden.events ORDER BY event_id');

    const error = await rejection(rollback(options(f, d.url)));
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `${FORMATS[f.format].title} migrations have no down scripts, so there is nothing pgwarden can roll back`,
    );
    expect(error.hint).toBe('Write a new forward migration that undoes the change, or restore a backup.');

    expect(await historyLines(d, f.format)).toEqual(history);
    expect(await publicTables(d)).toEqual(tables);
    expect((await d.query('SELECT kind FROM pgwarden.events ORDER BY event_id')).rows).toEqual(events.rows);
    expect(await statesOf(f, d.url)).toEqual(f.ids.map((id) => [id, 'applied']));
  });
});
