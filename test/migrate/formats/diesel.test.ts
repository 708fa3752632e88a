/**
 * diesel format. No diesel binary can run here (diesel_cli is a Rust program, not on npm), so the
 * expected table and rows come from diesel's source (diesel-rs/diesel: migrations_internals,
 * diesel_migrations' file_based_migrations.rs and migration_harness.rs, the PostgreSQL connection's
 * setup): `nativeRun` below replays the statements diesel sends on one database, pgwarden's adapter
 * writes another, and the two are compared. The runner (migrate, status, rollback) and the writer
 * behind `pgwarden fix` are run on the fixture, in process.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { writeMigrationFiles } from '../../../src/fix/write-migrations.js';
import { findMigrationFolders } from '../../../src/init/find-folders.js';
import { filesInFolder } from '../../../src/lint/folder-targets.js';
import { lint } from '../../../src/lint/lint.js';
import { checksumOf } from '../../../src/migrate/checksum.js';
import { dbmateFormat } from '../../../src/migrate/formats/dbmate.js';
import { dieselConfiguredDir, dieselFormat, dieselVersion } from '../../../src/migrate/formats/diesel.js';
import { prismaFormat } from '../../../src/migrate/formats/prisma.js';
import { lintSourcesOf } from '../../../src/migrate/lint-sources.js';
import { migrate } from '../../../src/migrate/migrate.js';
import { rollback } from '../../../src/migrate/rollback.js';
import { findMigration, loadMigrations } from '../../../src/migrate/source.js';
import { status } from '../../../src/migrate/status.js';
import type { HistoryContext, Migration } from '../../../src/migrate/types.js';
import { loadParser } from '../../../src/sql/parser.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { applyWithAdapter, appSchema, catchError, describeTable } from './support.js';

const PROJECT = join(import.meta.dirname, '../../fixtures/migrate/diesel');
const FIXTURE = join(PROJECT, 'migrations');
const IDS = [
  '00000000000000',
  '20240105093000',
  '20240106120000',
  '20240110081500',
  '20240112170000',
  '202401201010100000',
];
const history = dieselFormat.history;

const nativeDb = useTestDatabase();
const pgwardenDb = useTestDatabase();
const runnerDb = useTestDatabase();

beforeAll(() => loadParser());

/** setup_migration_table.sql, as diesel sends it before every read of the history. */
const NATIVE_DDL = `CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);`;

/**
 * `diesel migration run`: the connection's `SET TIME ZONE 'UTC'`, the table, then per migration
 * up.sql as one simple query and the INSERT of its version — in one transaction unless its
 * metadata.toml says `run_in_transaction = false`.
 */
async function nativeRun(client: pg.Client, migrations: readonly Migration[]): Promise<void> {
  await client.query("SET TIME ZONE 'UTC'");
  await client.query(NATIVE_DDL);
  for (const migration of migrations) {
    const inTransaction = migration.up.transaction !== false;
    if (inTransaction) await client.query('BEGIN');
    await client.query(readFileSync(migration.up.path, 'utf8'));
    await client.query('INSERT INTO "__diesel_schema_migrations" ("version") VALUES ($1)', [migration.id]);
    if (inTransaction) await client.query('COMMIT');
  }
  await client.query('RESET TIME ZONE');
}

/** The rows: version, and whether run_on is the current time in UTC (diesel's session time zone). */
async function rows(client: pg.Client, table = '__diesel_schema_migrations') {
  const result = await client.query(
    `SELECT version, abs(extract(epoch FROM (now() AT TIME ZONE 'UTC') - run_on)) < 300 AS utc_now
       FROM ${table} ORDER BY version`,
  );
  return result.rows;
}

describe('diesel: reading a folder', () => {
  it('reads the fixture: versions without dashes as ids, names, up/down files, metadata.toml', () => {
    const warnings: string[] = [];
    const migrations = dieselFormat.read(FIXTURE, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    expect(migrations.map((m) => [m.id, m.name, m.path])).toEqual([
      ['00000000000000', 'diesel_initial_setup', '00000000000000_diesel_initial_setup/up.sql'],
      ['20240105093000', 'create_users', '2024-01-05-093000_create_users/up.sql'],
      ['20240106120000', 'create_projects_and_tasks', '2024-01-06-120000_create_projects_and_tasks/up.sql'],
      ['20240110081500', 'tasks_updated_at_trigger', '2024-01-10-081500_tasks_updated_at_trigger/up.sql'],
      ['20240112170000', 'index_tasks_project', '2024-01-12-170000_index_tasks_project/up.sql'],
      ['202401201010100000', 'add_task_priority', '2024-01-20-101010-0000_add_task_priority/up.sql'],
    ]);
    const users = migrations[1]!;
    expect(users.up.path).toBe(join(FIXTURE, '2024-01-05-093000_create_users/up.sql'));
    expect(users.up.offset).toBe(0);
    expect(users.up.text).toBe(readFileSync(users.up.path, 'utf8'));
    expect(users.down).toEqual({
      path: join(FIXTURE, '2024-01-05-093000_create_users/down.sql'),
      text: 'DROP TABLE users;\n',
      offset: 0,
    });
    expect(users.checksum).toBe(checksumOf(users.up.text));
    // metadata.toml `run_in_transaction = false` covers up.sql and down.sql; the others say nothing
    expect(migrations.map((m) => [m.up.transaction, m.down?.transaction])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
      [false, false],
      [undefined, undefined],
    ]);
    // diesel sends up.sql as one query; metadata.toml is part of the migration (fix removes it too)
    expect(migrations[4]!.up.sentAs).toBe('one-query');
    expect(migrations.map((m) => m.otherFiles)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      [join(FIXTURE, '2024-01-12-170000_index_tasks_project/metadata.toml')],
      undefined,
    ]);
    // a migration is found by its directory name too
    expect(findMigration(migrations, '2024-01-12-170000_index_tasks_project').id).toBe('20240112170000');
    expect(findMigration(migrations, '2024-01-12-170000_index_tasks_project/').id).toBe('20240112170000');
  });

  it('takes the version before the first "_", without dashes', () => {
    expect(dieselVersion('2024-01-05-093000_create_users')).toBe('20240105093000');
    expect(dieselVersion('2024-01-05-093000-00a1_create_users')).toBe('2024010509300000a1');
    expect(dieselVersion('1-2_a_b')).toBe('12');
    expect(dieselVersion('no-underscore')).toBe('nounderscore');
  });

  it('orders by version byte by byte; ignores files and dot entries at the top level; down.sql is optional', () => {
    const dir = tempDir({
      '9_nine/up.sql': 'SELECT 9;',
      '10_ten/up.sql': 'SELECT 10;',
      '10_ten/down.sql': 'SELECT -10;',
      '2024-01-01-000000_stamp/up.sql': '-- a comment is a migration that does nothing\n',
      '2024-01-01-000000_stamp/down.sql': '', // an empty down.sql: diesel cannot revert with it
      'README.md': 'notes',
      '.diesel_lock': '',
      '.hidden/notes.txt': 'not a migration',
      'schema.sql': 'SELECT 1;',
    });
    const migrations = dieselFormat.read(dir);
    expect(migrations.map((m) => [m.id, m.name, m.down?.text])).toEqual([
      ['10', 'ten', 'SELECT -10;'],
      ['20240101000000', 'stamp', undefined],
      ['9', 'nine', undefined],
    ]);
  });

  it('refuses the whole folder when a directory has no up.sql, as diesel does, naming it', async () => {
    const dir = tempDir({ '1_ok/up.sql': 'SELECT 1;', '2_draft/notes.md': 'todo', 'assets/logo.txt': 'x' });
    const error = await catchError(() => dieselFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${join(dir, '2_draft')}: has no up.sql (nor assets/); diesel refuses the whole folder then ("Invalid migration directory")`,
    );
    expect(error.details).toEqual({ path: join(dir, '2_draft') });
    expect(error.hint).toContain('diesel takes every directory of the migrations folder for a migration');
  });

  it.each([
    [
      'two directories with one version',
      { '2024-01-01-000000_a/up.sql': 'SELECT 1;', '20240101000000_b/up.sql': 'SELECT 2;' },
      /: has the same version 20240101000000 as (2024-01-01-000000_a|20240101000000_b); diesel keys migrations by version, so it would run only one of them$/,
    ],
    [
      'a version longer than the VARCHAR(50) column',
      { [`${'1'.repeat(51)}_long/up.sql`]: 'SELECT 1;' },
      /_long: version 1{51} is longer than the 50 characters of diesel's version column$/,
    ],
    [
      'no version',
      { '_x/up.sql': 'SELECT 1;' },
      /\/_x: the directory name has no version before its first "_"$/,
    ],
    [
      'an empty up.sql',
      { '1_empty/up.sql': '' },
      /1_empty: up\.sql is empty; diesel refuses to run it \("Attempted to run an empty migration"\)$/,
    ],
    [
      'an up.sql with a byte order mark',
      { '1_bom/up.sql': Buffer.from('\uFEFFSELECT 1;', 'utf8') },
      /1_bom: up\.sql starts with a UTF-8 byte order mark; diesel sends the file as it is and PostgreSQL refuses the mark/,
    ],
    [
      'a metadata.toml that is not TOML (diesel would ignore it and use a transaction)',
      { '1_idx/up.sql': 'SELECT 1;', '1_idx/metadata.toml': 'run_in_transaction = no\n' },
      /1_idx\/metadata\.toml: is not valid TOML \(invalid value at line 1, column 22\); diesel ignores a metadata\.toml it cannot read and runs the migration in a transaction/,
    ],
    [
      'a run_in_transaction that is not a boolean',
      { '1_idx/up.sql': 'SELECT 1;', '1_idx/metadata.toml': 'run_in_transaction = "false"\n' },
      /1_idx\/metadata\.toml: run_in_transaction is "false", not true or false; diesel ignores/,
    ],
  ])('refuses %s, naming the path', async (_case, files, message) => {
    const dir = tempDir(files);
    const error = await catchError(() => dieselFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message.startsWith(dir)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
  });

  it('reads metadata.toml as diesel: true or absent = a transaction; a valid file without the key = none, with a warning', () => {
    const dir = tempDir({
      '1_on/up.sql': 'SELECT 1;',
      '1_on/metadata.toml': '# explicit\nrun_in_transaction = true\nother_setting = "kept"\n',
      '2_off/up.sql': 'CREATE INDEX CONCURRENTLY i ON t (a);',
      '2_off/down.sql': 'DROP INDEX CONCURRENTLY i;',
      '2_off/metadata.toml': 'run_in_transaction=false # inline comment\n[extra]\nkey = 1\n',
      '3_empty/up.sql': 'SELECT 3;',
      '3_empty/metadata.toml': '# nothing set\n',
    });
    const warnings: string[] = [];
    const migrations = dieselFormat.read(dir, (w) => warnings.push(w));
    expect(migrations.map((m) => [m.id, m.up.transaction, m.down?.transaction])).toEqual([
      ['1', undefined, undefined],
      ['2', false, false],
      ['3', false, undefined],
    ]);
    expect(warnings).toEqual([
      '3_empty/metadata.toml has no run_in_transaction: diesel then runs the migration without a transaction (the key defaults to false once the file exists), and so does pgwarden',
    ]);
  });

  it('detects diesel folders (3 with diesel.toml or diesel setup, 2 by up.sql directories), and never a Prisma one', () => {
    expect(dieselFormat.detectFolder(FIXTURE)).toBe(3);
    expect(dieselFormat.detectFolder(tempDir({ '1_a/up.sql': 'SELECT 1;' }))).toBe(2);
    expect(
      dieselFormat.detectFolder(tempDir({ '00000000000000_diesel_initial_setup/up.sql': 'SELECT 1;' })),
    ).toBe(3);
    const prisma = join(import.meta.dirname, '../../fixtures/migrate/prisma/migrations');
    expect(dieselFormat.detectFolder(prisma)).toBe(0);
    expect(prismaFormat.detectFolder(FIXTURE)).toBe(0);
    expect(dieselFormat.detectFolder(join(PROJECT, 'no-such-folder'))).toBe(0);
  });

  it('finds the folder diesel.toml names ([migrations_directory] dir, relative to the file or absolute)', () => {
    expect(dieselConfiguredDir(PROJECT)).toBe(FIXTURE);
    const project = tempDir({ 'diesel.toml': '[migrations_directory]\ndir = "db/diesel"\n' });
    expect(dieselConfiguredDir(project)).toBe(join(project, 'db/diesel'));
    expect(
      dieselConfiguredDir(tempDir({ 'diesel.toml': '[migrations_directory]\ndir = "/srv/app/m"\n' })),
    ).toBe('/srv/app/m');
    expect(dieselConfiguredDir(tempDir({ 'diesel.toml': '[print_schema]\nfile = "src/schema.rs"\n' }))).toBe(
      undefined,
    );
    expect(dieselConfiguredDir(tempDir({ 'diesel.toml': 'not toml [' }))).toBe(undefined);
    expect(dieselConfiguredDir(tempDir())).toBe(undefined);
  });
});

describe('diesel: pgwarden init finds the folder', () => {
  it('counts up.sql directories, and puts the folder diesel.toml names first, whatever its name', () => {
    const project = tempDir({
      'diesel.toml': '[migrations_directory]\ndir = "db/schema_changes"\n',
      'db/schema_changes/2024-01-05-093000_create_users/up.sql': 'SELECT 1;',
      'tools/migrations/1_a.sql': 'SELECT 1;',
      'tools/migrations/2_b.sql': 'SELECT 2;',
    });
    expect(findMigrationFolders(project)).toEqual(['db/schema_changes', 'tools/migrations']);
    const nested = tempDir({ 'api/migrations/2024-01-05-093000_create_users/up.sql': 'SELECT 1;' });
    expect(findMigrationFolders(nested)).toEqual(['api/migrations']);
  });
});

describe('diesel: lint reads the folder as diesel runs it', () => {
  it('lints up.sql only (a DROP TABLE in down.sql is not reported), and one up.sql after the earlier migrations', async () => {
    const source = await loadMigrations({ cwd: PROJECT, dir: 'migrations' });
    expect(source.format.id).toBe('diesel');
    const result = await lint({ paths: [], sources: lintSourcesOf(source.migrations) });
    const paths = result.files.map((f) => f.path);
    expect(paths).toEqual(source.migrations.map((m) => m.up.path));
    expect(result.files.flatMap((f) => f.findings.map((x) => x.rule))).not.toContain('ban-drop-table');
    const down = await lint({ paths: [join(FIXTURE, '2024-01-05-093000_create_users/down.sql')] });
    expect(down.files[0]!.findings.map((x) => x.rule)).toContain('ban-drop-table'); // were it linted

    const one = join(FIXTURE, '2024-01-20-101010-0000_add_task_priority/up.sql');
    const targets = await filesInFolder(PROJECT, [one], {} as Config);
    expect(targets?.sources?.map((s) => s.path)).toEqual(
      source.migrations.map((m) => join('migrations', m.path)),
    );
    expect(targets?.replayOnly?.size).toBe(IDS.length - 1);
  });
});

describe('diesel: __diesel_schema_migrations as diesel writes it', () => {
  it('creates the same table as setup_migration_table.sql, only when missing, and detects it', async () => {
    const native = await nativeDb.connect();
    const client = await pgwardenDb.connect();
    const ctx: HistoryContext = { client };
    expect(await history.detect(ctx)).toBe(false);
    expect(await history.read(ctx)).toEqual({
      exists: false,
      table: 'public.__diesel_schema_migrations',
      applied: [],
    });
    await native.query(NATIVE_DDL);
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await describeTable(client, 'public', '__diesel_schema_migrations')).toEqual(
      await describeTable(native, 'public', '__diesel_schema_migrations'),
    );
    expect(await history.detect(ctx)).toBe(true);
    // dbmate's detection (one varchar column) does not take diesel's table, nor diesel dbmate's
    expect(await dbmateFormat.history.detect(ctx)).toBe(false);
    await client.query('CREATE TABLE dbmate_like (version varchar PRIMARY KEY)');
    expect(await history.detect({ client, table: 'dbmate_like' })).toBe(false);
  });

  it('after the fixture holds the rows diesel would hold (run_on in UTC whatever the session time zone), and the same schema', async () => {
    const migrations = dieselFormat.read(FIXTURE);
    const native = await nativeDb.connect();
    const client = await pgwardenDb.connect();
    await nativeRun(native, migrations);
    await client.query("SET TIME ZONE 'Pacific/Auckland'");
    await applyWithAdapter(client, dieselFormat, migrations);
    await client.query('RESET TIME ZONE');
    expect(await rows(client)).toEqual(IDS.map((version) => ({ version, utc_now: true })));
    expect(await rows(client)).toEqual(await rows(native));
    expect(await appSchema(client, ['__diesel_schema_migrations', 'dbmate_like'])).toEqual(
      await appSchema(native, ['__diesel_schema_migrations']),
    );

    const state = await history.read({ client });
    expect(state.exists).toBe(true);
    expect(state.applied.map((r) => [r.id, r.state])).toEqual(IDS.map((id) => [id, 'applied']));
    for (const record of state.applied) {
      expect(Math.abs(record.appliedAt!.getTime() - Date.now())).toBeLessThan(300_000);
    }
  });

  it('records a rollback as diesel reverts: the row of the version deleted', async () => {
    const client = await pgwardenDb.connect();
    const migrations = dieselFormat.read(FIXTURE);
    await history.markRolledBack!({ client }, migrations.at(-1)!, migrations.at(-2));
    expect((await history.read({ client })).applied.map((r) => r.id)).toEqual(IDS.slice(0, -1));
  });

  it('uses a configured schema.table and, like diesel, does not create the schema', async () => {
    const client = await pgwardenDb.connect();
    const error = await catchError(() => history.ensure({ client, table: 'no_such_schema.versions' }));
    expect(error.code).toBe('DB_QUERY');
    expect(error.message).toMatch(
      /^no_such_schema\.versions: cannot create diesel's migration history table: /,
    );
    await client.query('CREATE SCHEMA tooling');
    const ctx = { client, table: 'tooling.versions' };
    await history.ensure(ctx);
    await history.markApplied(ctx, dieselFormat.read(FIXTURE)[1]!, { startedAt: new Date(), durationMs: 1 });
    expect(await rows(client, 'tooling.versions')).toEqual([{ version: '20240105093000', utc_now: true }]);
  });
});

describe('diesel: the runner on the fixture', () => {
  it('migrates (the metadata.toml migration statement by statement), rolls back with down.sql, migrates again', async () => {
    const options = { databaseUrl: runnerDb.url, cwd: PROJECT, dir: 'migrations', allowUncommitted: true };
    const applied = await migrate(options);
    expect(applied.format).toBe('diesel');
    expect(applied.applied.map((a) => [a.id, a.mode])).toEqual(
      IDS.map((id) => [id, id === '20240112170000' ? 'statements' : 'transaction']),
    );
    const client = await runnerDb.connect();
    expect(await rows(client)).toEqual(IDS.map((version) => ({ version, utc_now: true })));

    const back = await rollback({ ...options, steps: 2 });
    expect(back.rolledBack.map((r) => r.id)).toEqual(['202401201010100000', '20240112170000']);
    expect((await rows(client)).map((r) => r.version)).toEqual(IDS.slice(0, -2));
    const index = await client.query(`SELECT to_regclass('tasks_project_id_idx') AS i`);
    expect(index.rows[0].i).toBeNull();
    expect((await status(options)).entries.map((e) => [e.id, e.state])).toEqual(
      IDS.map((id, i) => [id, i < IDS.length - 2 ? 'applied' : 'pending']),
    );

    expect((await migrate(options)).applied.map((a) => a.id)).toEqual(IDS.slice(-2));
    expect(await rows(client)).toEqual(IDS.map((version) => ({ version, utc_now: true })));
  });
});

describe('diesel: writing migrations (pgwarden fix)', () => {
  const EXPAND = {
    name: 'add_users_email_verified',
    up: 'ALTER TABLE users ADD COLUMN email_verified boolean;\n',
    down: 'ALTER TABLE users DROP COLUMN email_verified;\n',
    transaction: true,
  };
  const INDEX = {
    name: 'index_users_email_verified',
    up: 'CREATE INDEX CONCURRENTLY users_email_verified_idx ON users (email_verified);\n',
    down: 'DROP INDEX CONCURRENTLY users_email_verified_idx;\n',
    transaction: false,
  };
  const DEFAULT = {
    name: 'default_users_email_verified',
    up: 'ALTER TABLE users ALTER COLUMN email_verified SET DEFAULT false;\n',
    transaction: true,
  };
  const NOW = new Date('2026-03-14T15:09:26.535Z');

  it("writes directories in the folder's newest style (here with the counter), metadata.toml outside a transaction; the reader reads them back", () => {
    const project = tempDir();
    cpSync(PROJECT, project, { recursive: true });
    const dir = join(project, 'migrations');
    const existing = dieselFormat.read(dir);
    const written = writeMigrationFiles('diesel', dir, existing, [EXPAND, INDEX, DEFAULT], NOW);
    expect(written.map((m) => m.id)).toEqual([
      '202603141509260000',
      '202603141509270000',
      '202603141509280000',
    ]);
    expect(written[1]!.files.map((f) => f.slice(dir.length + 1))).toEqual([
      '2026-03-14-150927-0000_index_users_email_verified/up.sql',
      '2026-03-14-150927-0000_index_users_email_verified/down.sql',
      '2026-03-14-150927-0000_index_users_email_verified/metadata.toml',
    ]);
    expect(readFileSync(written[1]!.files[2]!, 'utf8')).toBe('run_in_transaction = false\n');
    const added = dieselFormat.read(dir).slice(existing.length);
    expect(added.map((m) => [m.id, m.name, m.up.text, m.down?.text, m.up.transaction])).toEqual([
      ['202603141509260000', EXPAND.name, EXPAND.up, EXPAND.down, undefined],
      ['202603141509270000', INDEX.name, INDEX.up, INDEX.down, false],
      ['202603141509280000', DEFAULT.name, DEFAULT.up, undefined, undefined],
    ]);
  });

  it("names directories as diesel migration generate does after diesel setup, and continues a folder's own numbers", () => {
    const fresh = tempDir({ '00000000000000_diesel_initial_setup/up.sql': 'SELECT 1;' });
    const first = writeMigrationFiles('diesel', fresh, dieselFormat.read(fresh), [EXPAND], NOW);
    expect(first.map((m) => [m.id, m.files.map((f) => f.slice(fresh.length + 1))])).toEqual([
      [
        '20260314150926',
        [
          '2026-03-14-150926_add_users_email_verified/up.sql',
          '2026-03-14-150926_add_users_email_verified/down.sql',
        ],
      ],
    ]);
    const numbered = tempDir({ '0001_create_users/up.sql': 'SELECT 1;', '0002_more/up.sql': 'SELECT 2;' });
    const next = writeMigrationFiles('diesel', numbered, dieselFormat.read(numbered), [DEFAULT], NOW);
    expect(next.map((m) => [m.id, m.files.map((f) => f.slice(numbered.length + 1))])).toEqual([
      ['0003', ['0003_default_users_email_verified/up.sql']],
    ]);
  });
});
