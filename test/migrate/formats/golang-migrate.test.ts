/**
 * golang-migrate format. No golang-migrate binary can run here, so the expected table and rows
 * come from golang-migrate's source (golang-migrate/migrate, database/postgres/postgres.go,
 * migrate.go, database/util.go, source/parse.go): `nativeSetVersion` below replays the driver's
 * exact statements on one database, pgwarden's adapter writes another, and the two are compared.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/migrate/checksum.js';
import { dbmateFormat } from '../../../src/migrate/formats/dbmate.js';
import {
  expandHighWaterMark,
  golangMigrateAdvisoryLockId,
  golangMigrateFormat,
  golangMigrateLockKeys,
  hasHighWaterMark,
} from '../../../src/migrate/formats/golang-migrate.js';
import type { HistoryContext, Migration } from '../../../src/migrate/types.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { applyWithAdapter, appSchema, catchError, describeTable, tableShape } from './support.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/migrate/golang-migrate');
const history = golangMigrateFormat.history;

const nativeDb = useTestDatabase();
const pgwardenDb = useTestDatabase();

/** postgres.go ensureVersionTable's DDL. */
async function nativeEnsure(client: pg.Client): Promise<void> {
  await client.query(
    'CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)',
  );
}

/** postgres.go SetVersion: one transaction, TRUNCATE, INSERT unless (NilVersion, clean). */
async function nativeSetVersion(client: pg.Client, version: number, dirty: boolean): Promise<void> {
  await client.query('BEGIN');
  await client.query('TRUNCATE "public"."schema_migrations"');
  if (version >= 0 || (version === -1 && dirty)) {
    await client.query('INSERT INTO "public"."schema_migrations" (version, dirty) VALUES ($1, $2)', [
      version,
      dirty,
    ]);
  }
  await client.query('COMMIT');
}

/** migrate.go runMigrations for `migrate up`: dirty target, run the file as one query, clean target. */
async function nativeUp(client: pg.Client, migrations: readonly Migration[]): Promise<void> {
  await nativeEnsure(client);
  for (const migration of migrations) {
    await nativeSetVersion(client, Number(migration.id), true);
    await client.query(migration.up.text);
    await nativeSetVersion(client, Number(migration.id), false);
  }
}

async function rows(client: pg.Client, table = 'public.schema_migrations') {
  return (await client.query(`SELECT version::text, dirty FROM ${table} ORDER BY version`)).rows;
}

describe('golang-migrate: reading a folder', () => {
  it('reads the fixture: the version number as id (000001 → 1), titles, up and down files', () => {
    const migrations = golangMigrateFormat.read(FIXTURE);
    expect(migrations.map((m) => [m.id, m.name, m.path, m.down?.path])).toEqual([
      ['1', 'create_users', '000001_create_users.up.sql', join(FIXTURE, '000001_create_users.down.sql')],
      [
        '2',
        'create_projects_and_tasks',
        '000002_create_projects_and_tasks.up.sql',
        join(FIXTURE, '000002_create_projects_and_tasks.down.sql'),
      ],
      [
        '3',
        'tasks_updated_at_trigger',
        '000003_tasks_updated_at_trigger.up.sql',
        join(FIXTURE, '000003_tasks_updated_at_trigger.down.sql'),
      ],
      [
        '4',
        'index_tasks_project',
        '000004_index_tasks_project.up.sql',
        join(FIXTURE, '000004_index_tasks_project.down.sql'),
      ],
      [
        '5',
        'add_task_priority',
        '000005_add_task_priority.up.sql',
        join(FIXTURE, '000005_add_task_priority.down.sql'),
      ],
    ]);
    const first = migrations[0]!;
    expect(first.up.path).toBe(join(FIXTURE, '000001_create_users.up.sql'));
    expect(first.up.offset).toBe(0);
    expect(first.checksum).toBe(checksumOf(first.up.text));
    expect(first.down!.text).toBe('DROP TABLE users;\n');
  });

  it('orders by version number, keeps an up file without down, ignores files that do not match', () => {
    const dir = tempDir({
      '10_ten.up.sql': 'SELECT 10;',
      '2_two.up.sql': 'SELECT 2;',
      '2_two.down.sql': 'SELECT -2;',
      '0001_one.up.sql': 'SELECT 1;',
      'README.md': 'notes',
      '3_three.sql': 'SELECT 3;',
      'four.up.sql': 'SELECT 4;',
    });
    const migrations = golangMigrateFormat.read(dir);
    expect(migrations.map((m) => [m.id, m.name, m.down !== undefined])).toEqual([
      ['1', 'one', false],
      ['2', 'two', true],
      ['10', 'ten', false],
    ]);
  });

  it('refuses two up files for one version, as golang-migrate does ("duplicate migration file")', async () => {
    const dir = tempDir({ '1_users.up.sql': 'SELECT 1;', '001_people.up.sql': 'SELECT 1;' });
    const error = await catchError(() => golangMigrateFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(
      /(1_users|001_people)\.up\.sql: is a second up migration for version 1 \(with (001_people|1_users)\.up\.sql\)/,
    );
  });

  it('refuses a down file without its up file', async () => {
    const dir = tempDir({ '1_users.up.sql': 'SELECT 1;', '2_orders.down.sql': 'SELECT 2;' });
    const error = await catchError(() => golangMigrateFormat.read(dir));
    expect(error.message).toBe(
      `${join(dir, '2_orders.down.sql')}: is a down migration without an up migration for version 2`,
    );
    expect(error.hint).toBe('Add the up file (2_orders.up.sql), or delete this one.');
  });

  it('refuses a migration file with another extension (golang-migrate would run it)', async () => {
    const dir = tempDir({ '1_users.up.sql': 'SELECT 1;', '1_users.down.sql.bak': 'SELECT 2;' });
    const error = await catchError(() => golangMigrateFormat.read(dir));
    expect(error.message).toContain(
      '1_users.down.sql.bak: golang-migrate would run this file as the down migration of version 1',
    );
    expect(error.hint).toBe('Rename it to 1_users.down.sql, or move it out of the migrations directory.');
  });

  it('refuses a version that does not fit the bigint column', async () => {
    const dir = tempDir({ '9223372036854775808_huge.up.sql': 'SELECT 1;' });
    expect((await catchError(() => golangMigrateFormat.read(dir))).message).toContain(
      "version 9223372036854775808 does not fit golang-migrate's bigint version column",
    );
    const fits = tempDir({ '9223372036854775807_max.up.sql': 'SELECT 1;' });
    expect(golangMigrateFormat.read(fits)[0]!.id).toBe('9223372036854775807');
  });

  it('detects folders of .up.sql files (score 2)', () => {
    expect(golangMigrateFormat.detectFolder(FIXTURE)).toBe(2);
    expect(golangMigrateFormat.detectFolder(join(FIXTURE, '../dbmate'))).toBe(0);
    expect(golangMigrateFormat.detectFolder(join(FIXTURE, '../plain'))).toBe(0);
  });
});

describe('golang-migrate: the advisory lock key (database/util.go GenerateAdvisoryLockId)', () => {
  it("matches golang-migrate's own test vectors (database/util_test.go)", () => {
    expect(golangMigrateAdvisoryLockId('database_name')).toBe(1764327054n);
    expect(golangMigrateAdvisoryLockId('database_name', 'schema_name_1')).toBe(3244152297n);
    expect(golangMigrateAdvisoryLockId('database_name', 'schema_name_2')).toBe(810103531n);
  });

  it('hashes database name, schema and table as the postgres driver does (URL path with its slash first)', async () => {
    const client = await pgwardenDb.connect();
    const [url, instance] = await golangMigrateLockKeys({ client });
    expect(url).toBe(golangMigrateAdvisoryLockId(`/${pgwardenDb.name}`, 'public', 'schema_migrations'));
    expect(instance).toBe(golangMigrateAdvisoryLockId(pgwardenDb.name, 'public', 'schema_migrations'));
    expect(url).not.toBe(instance);
    expect(await history.lockKeys!({ client })).toEqual([url, instance]);
    const [custom] = await history.lockKeys!({ client, table: 'audit.versions' });
    expect(custom).toBe(golangMigrateAdvisoryLockId(`/${pgwardenDb.name}`, 'audit', 'versions'));
    // A key in uint32 range, usable with the bigint advisory-lock functions.
    const locked = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [url!.toString()]);
    expect(locked.rows[0].ok).toBe(true);
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [url!.toString()]);
  });
});

describe('golang-migrate: schema_migrations as the postgres driver writes it', () => {
  it('creates the same table as ensureVersionTable, only when missing', async () => {
    const native = await nativeDb.connect();
    const client = await pgwardenDb.connect();
    const ctx: HistoryContext = { client };
    expect(await history.read(ctx)).toEqual({
      exists: false,
      table: 'public.schema_migrations',
      applied: [],
    });
    await nativeEnsure(native);
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await tableShape(client, 'public.schema_migrations')).toEqual([
      'version bigint not null',
      'dirty boolean not null',
    ]);
    expect(await describeTable(client, 'public', 'schema_migrations')).toEqual(
      await describeTable(native, 'public', 'schema_migrations'),
    );
    expect(await history.detect(ctx)).toBe(true);
  });

  it('after applying the fixture holds the one row golang-migrate would hold, and the same schema', async () => {
    const migrations = golangMigrateFormat.read(FIXTURE);
    const native = await nativeDb.connect();
    const client = await pgwardenDb.connect();
    await nativeUp(native, migrations);
    await applyWithAdapter(client, golangMigrateFormat, migrations, {
      outsideTransaction: new Set(['4']), // CREATE INDEX CONCURRENTLY, alone in its file
    });
    expect(await rows(client)).toEqual([{ version: '5', dirty: false }]);
    expect(await rows(client)).toEqual(await rows(native));
    expect(await appSchema(client, ['schema_migrations'])).toEqual(
      await appSchema(native, ['schema_migrations']),
    );

    const state = await history.read({ client });
    expect(state).toEqual({
      exists: true,
      table: 'public.schema_migrations',
      applied: [{ id: '5', state: 'applied' }],
    });
    expect(expandHighWaterMark(migrations, state)).toEqual(
      ['1', '2', '3', '4', '5'].map((id) => ({ id, state: 'applied' })),
    );
    expect(hasHighWaterMark(golangMigrateFormat)).toBe(true);
    expect(hasHighWaterMark(dbmateFormat)).toBe(false);
  });

  it('markStarted writes a dirty version in the transaction of its caller; committed, a failure leaves it dirty', async () => {
    const client = await pgwardenDb.connect();
    const observer = await pgwardenDb.connect();
    const dir = tempDir({ '6_broken.up.sql': 'ALTER TABLE no_such_table ADD COLUMN x int;' });
    const [broken] = golangMigrateFormat.read(dir);
    const before = await rows(observer);
    await client.query('BEGIN');
    await history.markStarted!({ client }, broken!, { startedAt: new Date() });
    await client.query('ROLLBACK');
    expect(await rows(observer)).toEqual(before); // the caller's transaction decides
    await client.query('BEGIN');
    await history.markStarted!({ client }, broken!, { startedAt: new Date() });
    await client.query('COMMIT');
    await history.markStarted!({ client }, broken!, { startedAt: new Date() }); // a resumed run calls it again
    expect(await rows(observer)).toEqual([{ version: '6', dirty: true }]);
    await expect(client.query(broken!.up.text)).rejects.toThrow(/no_such_table/);

    // What golang-migrate leaves after the same failure: SetVersion(6, true) committed, then the error.
    const native = await nativeDb.connect();
    await nativeSetVersion(native, 6, true);
    expect(await rows(client)).toEqual(await rows(native));

    const state = await history.read({ client });
    expect(state.applied).toEqual([
      { id: '6', state: 'failed', detail: 'dirty version 6: the migration started and did not finish' },
    ]);
  });

  it('resolves a dirty version like `migrate force`: applied keeps it, rolled-back goes to the previous file', async () => {
    const client = await pgwardenDb.connect();
    const migrations = golangMigrateFormat.read(FIXTURE);
    const fifth = migrations[4]!;
    await history.markStarted!({ client }, fifth, { startedAt: new Date() });
    expect(await history.resolve!({ client }, fifth, 'applied')).toBe(
      'public.schema_migrations: version set to 5, clean (like `migrate force 5`)',
    );
    expect(await rows(client)).toEqual([{ version: '5', dirty: false }]);

    await history.markStarted!({ client }, fifth, { startedAt: new Date() });
    expect(await history.resolve!({ client }, fifth, 'rolled-back')).toBe(
      'public.schema_migrations: version set to 4, clean (like `migrate force 4`)',
    );
    expect(await rows(client)).toEqual([{ version: '4', dirty: false }]);

    await history.markStarted!({ client }, migrations[0]!, { startedAt: new Date() });
    expect(await history.resolve!({ client }, migrations[0]!, 'rolled-back')).toBe(
      'public.schema_migrations: emptied (like `migrate force -1`): no migration counts as applied',
    );
    expect(await rows(client)).toEqual([]);
    const native = await nativeDb.connect();
    await nativeSetVersion(native, -1, false); // force -1
    expect(await rows(native)).toEqual([]);
  });

  it('records a rollback as the previous version, or no row after the first version', async () => {
    const client = await pgwardenDb.connect();
    const [first, second] = golangMigrateFormat.read(FIXTURE);
    await history.markApplied({ client }, second!, { startedAt: new Date(), durationMs: 1 });
    await history.markRolledBack!({ client }, second!, first);
    expect(await rows(client)).toEqual([{ version: '1', dirty: false }]);
    await history.markRolledBack!({ client }, first!, undefined);
    expect(await rows(client)).toEqual([]);
    expect((await history.read({ client })).applied).toEqual([]);
  });

  it('reads the dirty NilVersion row golang-migrate writes when the first down migration fails', async () => {
    const client = await pgwardenDb.connect();
    await client.query('INSERT INTO schema_migrations (version, dirty) VALUES (-1, true)');
    expect((await history.read({ client })).applied).toEqual([
      { id: '-1', state: 'failed', detail: 'dirty version -1: a down migration of the first version failed' },
    ]);
    await client.query('TRUNCATE schema_migrations');
  });

  it('reports a table with more than one row as failed (golang-migrate keeps exactly one)', async () => {
    const client = await pgwardenDb.connect();
    await client.query('INSERT INTO schema_migrations (version, dirty) VALUES (3, false), (7, false)');
    expect((await history.read({ client })).applied).toEqual([
      {
        id: '7',
        state: 'failed',
        detail: 'golang-migrate keeps a single row, but public.schema_migrations has 2 (versions 7, 3)',
      },
    ]);
    await client.query('TRUNCATE schema_migrations');
  });

  it('expands a high-water mark whose file is gone into a record of its own', () => {
    const migrations = golangMigrateFormat.read(FIXTURE).slice(0, 3);
    const state = {
      exists: true,
      table: 'public.schema_migrations',
      applied: [{ id: '5', state: 'applied' as const }],
    };
    expect(expandHighWaterMark(migrations, state).map((r) => r.id)).toEqual(['1', '2', '3', '5']);
    expect(expandHighWaterMark(migrations, { ...state, applied: [] })).toEqual([]);
  });

  it('uses a configured schema.table (x-migrations-table-quoted) and does not create the schema', async () => {
    const client = await pgwardenDb.connect();
    const error = await catchError(() => history.ensure({ client, table: 'no_such_schema.versions' }));
    expect(error.code).toBe('DB_QUERY');
    expect(error.message).toMatch(
      /^no_such_schema\.versions: cannot create golang-migrate's version table: /,
    );
    await client.query('CREATE SCHEMA tooling');
    await history.ensure({ client, table: 'tooling.versions' });
    await history.markApplied({ client, table: 'tooling.versions' }, golangMigrateFormat.read(FIXTURE)[0]!, {
      startedAt: new Date(),
      durationMs: 1,
    });
    expect(await rows(client, 'tooling.versions')).toEqual([{ version: '1', dirty: false }]);
  });

  it("does not take dbmate's schema_migrations (varchar version, many rows) for its own", async () => {
    const client = await pgwardenDb.connect();
    await client.query('CREATE TABLE public.dbmate_like (version varchar PRIMARY KEY)');
    expect(await history.detect({ client, table: 'dbmate_like' })).toBe(false);
    await client.query('CREATE TABLE public.no_dirty (version bigint PRIMARY KEY)');
    expect(await history.detect({ client, table: 'no_dirty' })).toBe(false);
  });
});
