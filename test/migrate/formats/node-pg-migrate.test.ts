/**
 * node-pg-migrate SQL migrations: the split and the file order are checked against
 * node-pg-migrate 9.0's own functions (a dev dependency), and `pgmigrations` round trips with the
 * real `node-pg-migrate` command in both directions against a real server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate';
import { getActions } from 'node-pg-migrate/sqlMigration';
import { compareMigrationFileNames } from 'node-pg-migrate/utils/comparators';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/migrate/checksum.js';
import {
  compareNodePgMigrateNames,
  nodePgMigrateFormat,
  splitNodePgMigrateSql,
} from '../../../src/migrate/formats/node-pg-migrate.js';
import type { HistoryContext } from '../../../src/migrate/types.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { runNodePgMigrate } from '../../support/native-tools.js';
import {
  applyWithAdapter,
  appSchema,
  catchError,
  describeTable,
  hasColumn,
  rollBackWithAdapter,
  tableConstraints,
  tableShape,
} from './support.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/migrate/node-pg-migrate');
const NAMES = [
  '1700000000000_create-users',
  '1700000100000_create-projects-and-tasks',
  '1700000200000_tasks-updated-at-trigger',
  '1700000300000_index-tasks-project',
  '1700000400000_add-task-priority',
];
const history = nodePgMigrateFormat.history;

const nativeDb = useTestDatabase();
const pgwardenDb = useTestDatabase();
const scratchDb = useTestDatabase();

/** What node-pg-migrate's getActions hands to `pgm.sql` for up and down (undefined: no down). */
function nativeSplit(content: string): { up: string; down: string | undefined } {
  const actions = getActions(content) as {
    up: (pgm: { sql(text: string): void }) => void;
    down: false | ((pgm: { sql(text: string): void }) => void);
  };
  let up = '';
  let down: string | undefined;
  actions.up({ sql: (text) => (up = text) });
  if (actions.down) actions.down({ sql: (text) => (down = text) });
  return { up, down };
}

describe('node-pg-migrate: splitting a SQL migration like sqlMigration.js getActions', () => {
  it.each([
    ['the template', '-- Up Migration\n\n-- Down Migration\n'],
    ['both sections', '-- Up Migration\nCREATE TABLE t ();\n\n-- Down Migration\nDROP TABLE t;\n'],
    [
      'a comment before the up marker',
      '-- creates t\n-- Up Migration\nCREATE TABLE t ();\n-- Down Migration\nDROP TABLE t;\n',
    ],
    ['the down section first', '-- Down Migration\nDROP TABLE t;\n-- Up Migration\nCREATE TABLE t ();\n'],
    ['no markers at all', 'CREATE TABLE t ();\n'],
    ['an up marker only', 'SELECT 0;\n-- Up Migration\nCREATE TABLE t ();\n'],
    [
      'lower case, extra dashes and words',
      '--- up migration: tables\nCREATE TABLE t ();\n---- DOWN   MIGRATION now\nDROP TABLE t;',
    ],
    [
      'blank lines before the markers',
      '\n\n  -- Up Migration\nCREATE TABLE t ();\n\n\n-- Down Migration\nDROP TABLE t;',
    ],
    ['CR/LF line endings', '-- Up Migration\r\nCREATE TABLE t ();\r\n-- Down Migration\r\nDROP TABLE t;\r\n'],
    [
      'a marker-like line inside a $$ body (the tool splits there too)',
      '-- Up Migration\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- down migration\nSELECT 1\n$$;\n',
    ],
  ])('agrees with node-pg-migrate on %s', (_case, content) => {
    const ours = splitNodePgMigrateSql(content);
    const native = nativeSplit(content);
    expect(ours.up).toBe(native.up);
    expect(ours.down?.text).toBe(native.down);
    expect(content.slice(ours.upOffset, ours.upOffset + ours.up.length)).toBe(ours.up);
    if (ours.down)
      expect(content.slice(ours.down.offset, ours.down.offset + ours.down.text.length)).toBe(ours.down.text);
  });
});

describe('node-pg-migrate: reading a folder', () => {
  it('orders names exactly like comparators.js compareMigrationFileNames', () => {
    const names = [
      '10_ten.sql',
      '2_two.sql',
      '20240101000000000_utc.sql', // 17 digits: a UTC date, 1704067200000 ms
      '1700000000000_ms.sql',
      '1704067200001_after-utc.sql',
      '2_Two-b.sql',
      '2_two_a.sql',
      '0002_padded.sql',
    ];
    const ours = [...names].sort(compareNodePgMigrateNames);
    const native = [...names].sort((a, b) => compareMigrationFileNames(a, b));
    expect(ours).toEqual(native);
    expect(ours.indexOf('20240101000000000_utc.sql')).toBe(ours.indexOf('1704067200001_after-utc.sql') - 1);
  });

  it('reads the fixture: file names as ids, up and down blocks at their offsets', () => {
    const migrations = nodePgMigrateFormat.read(FIXTURE);
    expect(migrations.map((m) => m.id)).toEqual(NAMES);
    expect(migrations.map((m) => m.name)).toEqual([
      'create-users',
      'create-projects-and-tasks',
      'tasks-updated-at-trigger',
      'index-tasks-project',
      'add-task-priority',
    ]);
    const trigger = migrations[2]!;
    const file = readFileSync(join(FIXTURE, trigger.path), 'utf8');
    expect(trigger.up.path).toBe(join(FIXTURE, '1700000200000_tasks-updated-at-trigger.sql'));
    expect(trigger.up.offset).toBe(file.indexOf('-- Up Migration'));
    expect(trigger.up.text).toBe(nativeSplit(file).up);
    expect(trigger.down!.text).toBe(nativeSplit(file).down);
    expect(file.slice(trigger.down!.offset)).toBe(trigger.down!.text);
    expect(trigger.checksum).toBe(checksumOf(trigger.up.text));
  });

  it('keeps a file without a down section as a migration without down, ignores hidden files', () => {
    const dir = tempDir({
      '1_users.sql': '-- Up Migration\nCREATE TABLE users ();\n',
      '2_plain.sql': 'CREATE TABLE plain ();\n',
      '.gitkeep': '',
    });
    const migrations = nodePgMigrateFormat.read(dir);
    expect(migrations.map((m) => [m.id, m.up.text, m.down])).toEqual([
      ['1_users', '-- Up Migration\nCREATE TABLE users ();\n', undefined],
      ['2_plain', 'CREATE TABLE plain ();\n', undefined],
    ]);
  });

  it('refuses a JavaScript migration, which pgwarden cannot run', async () => {
    const dir = tempDir({
      '1_users.sql': '-- Up Migration\nSELECT 1;\n',
      '2_seed.js': 'exports.up = () => {};',
    });
    const error = await catchError(() => nodePgMigrateFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${join(dir, '2_seed.js')}: is a JavaScript/TypeScript migration; pgwarden runs only node-pg-migrate SQL migrations`,
    );
  });

  it('refuses a file without a numeric prefix, which node-pg-migrate cannot order either', async () => {
    const dir = tempDir({ '1_users.sql': '-- Up Migration\nSELECT 1;\n', 'README.md': 'notes' });
    const error = await catchError(() => nodePgMigrateFormat.read(dir));
    expect(error.message).toContain('README.md: has no numeric prefix');
    const native = await runNodePgMigrate(scratchDb.url, dir, ['up']);
    expect(native.status).not.toBe(0);
    expect(native.stderr + native.stdout).toContain('Cannot determine numeric prefix for "README.md"');
  });

  it('refuses a down section without an up marker (node-pg-migrate would run the down SQL as up)', async () => {
    const dir = tempDir({ '1_users.sql': 'CREATE TABLE users ();\n-- Down Migration\nDROP TABLE users;\n' });
    const error = await catchError(() => nodePgMigrateFormat.read(dir));
    expect(error.message).toContain("has a '-- Down Migration' section but no '-- Up Migration' line");
    expect(nativeSplit('CREATE TABLE users ();\n-- Down Migration\nDROP TABLE users;\n').up).toContain(
      'DROP TABLE',
    );
  });

  it('detects folders whose SQL files have `-- Up Migration` (score 2)', () => {
    expect(nodePgMigrateFormat.detectFolder(FIXTURE)).toBe(2);
    expect(nodePgMigrateFormat.detectFolder(join(FIXTURE, '../dbmate'))).toBe(0);
    expect(nodePgMigrateFormat.detectFolder(join(FIXTURE, '../plain'))).toBe(0);
  });

  it('applies files in the same order as node-pg-migrate itself', async () => {
    const dir = tempDir({
      '10_ten.sql': '-- Up Migration\nSELECT 10;\n',
      '2_two.sql': '-- Up Migration\nSELECT 2;\n',
      '20240101000000000_utc.sql': '-- Up Migration\nSELECT 3;\n',
      '1700000000000_ms.sql': '-- Up Migration\nSELECT 4;\n',
    });
    const native = await runNodePgMigrate(scratchDb.url, dir, ['up']);
    expect(native.status).toBe(0);
    const applied = await scratchDb.query('SELECT name FROM pgmigrations ORDER BY run_on, id');
    expect(applied.rows.map((r) => r.name)).toEqual(nodePgMigrateFormat.read(dir).map((m) => m.id));
    await scratchDb.query('DROP TABLE pgmigrations');
  });
});

describe('node-pg-migrate: pgmigrations round trips with the real node-pg-migrate 9.0', () => {
  it('reads what `node-pg-migrate up` wrote', async () => {
    const up = await runNodePgMigrate(nativeDb.url, FIXTURE, ['up']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('Migrations complete!');
    const client = await nativeDb.connect();
    const ctx: HistoryContext = { client };
    expect(await history.detect(ctx)).toBe(true);
    const state = await history.read(ctx);
    expect(state.exists).toBe(true);
    expect(state.table).toBe('public.pgmigrations');
    expect(state.applied.map((r) => [r.id, r.state, r.appliedAt instanceof Date])).toEqual(
      NAMES.map((name) => [name, 'applied', true]),
    );
  });

  it('writes what node-pg-migrate writes; node-pg-migrate then has nothing to run', async () => {
    const client = await pgwardenDb.connect();
    await applyWithAdapter(client, nodePgMigrateFormat, nodePgMigrateFormat.read(FIXTURE));
    const native = await nativeDb.connect();
    expect(await tableShape(client, 'public.pgmigrations')).toEqual([
      "id integer not null default nextval('pgmigrations_id_seq'::regclass)",
      'name character varying(255) not null',
      'run_on timestamp without time zone not null',
    ]);
    expect(await describeTable(client, 'public', 'pgmigrations')).toEqual(
      await describeTable(native, 'public', 'pgmigrations'),
    );
    const names = 'SELECT id, name FROM pgmigrations ORDER BY run_on, id';
    expect((await client.query(names)).rows).toEqual((await native.query(names)).rows);
    expect(await appSchema(client, ['pgmigrations'])).toEqual(await appSchema(native, ['pgmigrations']));

    const up = await runNodePgMigrate(pgwardenDb.url, FIXTURE, ['up']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('No migrations to run!');
  });

  it('lets `node-pg-migrate down` undo a migration pgwarden applied', async () => {
    const down = await runNodePgMigrate(pgwardenDb.url, FIXTURE, ['down']);
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('### MIGRATION 1700000400000_add-task-priority (DOWN) ###');
    const client = await pgwardenDb.connect();
    expect((await history.read({ client })).applied.map((r) => r.id)).toEqual(NAMES.slice(0, 4));
    expect(await hasColumn(client, 'tasks', 'priority')).toBe(false);
  });

  it('rolls back so that `node-pg-migrate up` applies the migration again', async () => {
    const client = await nativeDb.connect();
    const migrations = nodePgMigrateFormat.read(FIXTURE);
    await rollBackWithAdapter(client, nodePgMigrateFormat, migrations[4]!, migrations[3]);
    await rollBackWithAdapter(client, nodePgMigrateFormat, migrations[3]!, migrations[2]);
    expect((await history.read({ client })).applied.map((r) => r.id)).toEqual(NAMES.slice(0, 3));
    const up = await runNodePgMigrate(nativeDb.url, FIXTURE, ['up']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('> - 1700000300000_index-tasks-project\n> - 1700000400000_add-task-priority');
    expect((await history.read({ client })).applied.map((r) => r.id)).toEqual(NAMES);
  });

  it("uses node-pg-migrate's advisory lock key: holding it makes node-pg-migrate refuse to start", async () => {
    const client = await scratchDb.connect();
    const [key] = await history.lockKeys!({ client });
    expect(key).toBe(7241865325823964n);
    expect(key).toBe(BigInt(PG_MIGRATE_LOCK_ID));
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key!.toString()]);
    const blocked = await runNodePgMigrate(scratchDb.url, FIXTURE, ['up']);
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key!.toString()]);
    expect(blocked.status).not.toBe(0);
    expect(blocked.stderr + blocked.stdout).toContain('Another migration is already running');
  });

  it('creates the table in public by default and in a configured schema, and adds a missing primary key', async () => {
    const client = await scratchDb.connect();
    await client.query('CREATE SCHEMA tooling');
    await client.query('SET search_path TO tooling');
    await history.ensure({ client });
    const where = await client.query(
      `SELECT to_regclass('public.pgmigrations') IS NOT NULL AS public, to_regclass('tooling.pgmigrations') IS NOT NULL AS tooling`,
    );
    expect(where.rows[0]).toEqual({ public: true, tooling: false });
    await client.query('RESET search_path');

    await client.query(
      'CREATE TABLE tooling.legacy (id serial, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
    );
    const ctx: HistoryContext = { client, table: 'tooling.legacy' };
    expect(await history.detect(ctx)).toBe(true);
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await tableConstraints(client, 'tooling.legacy')).toEqual(['legacy_pkey p PRIMARY KEY (id)']);
  });

  it('does not take a table without run_on for its history', async () => {
    const client = await scratchDb.connect();
    await client.query('CREATE TABLE public.other_history (id serial PRIMARY KEY, name text)');
    expect(await history.detect({ client, table: 'other_history' })).toBe(false);
  });
});
