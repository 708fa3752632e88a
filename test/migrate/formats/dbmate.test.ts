/**
 * dbmate format: splitting files like dbmate 2.36, reading folders, and writing
 * `schema_migrations` so that the real dbmate binary (installed on demand into test/.tools)
 * agrees — round trips in both directions against a real server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMigrationCommand } from '../../../src/cli/commands/migrations-run.js';
import { checksumOf } from '../../../src/migrate/checksum.js';
import { dbmateFormat, parseDbmateFile } from '../../../src/migrate/formats/dbmate.js';
import { loadMigrations } from '../../../src/migrate/source.js';
import { status } from '../../../src/migrate/status.js';
import type { HistoryContext } from '../../../src/migrate/types.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { dbmateBinary, runDbmate } from '../../support/native-tools.js';
import {
  applyWithAdapter,
  appSchema,
  catchError,
  describeTable,
  hasColumn,
  rollBackWithAdapter,
  tableShape,
} from './support.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/migrate/dbmate');
const VERSIONS = ['20240105093000', '20240106120000', '20240110081500', '20240112170000', '20240120101010'];

const nativeDb = useTestDatabase();
const pgwardenDb = useTestDatabase();
const scratchDb = useTestDatabase();

beforeAll(() => {
  dbmateBinary(); // installs @dbmate/<platform>-<arch> on first use
}, 300_000);

describe('dbmate: splitting a file like dbmate 2.36 (cases from pkg/dbmate/migration_test.go)', () => {
  it('splits the typical file; each block starts at its directive and keeps it', () => {
    const text =
      '-- migrate:up\ncreate table users (id serial, name text);\n-- migrate:down\ndrop table users;';
    expect(parseDbmateFile(text)).toEqual([
      {
        up: '-- migrate:up\ncreate table users (id serial, name text);\n',
        upOffset: 0,
        upOptions: {},
        down: '-- migrate:down\ndrop table users;',
        downOffset: 57,
        downOptions: {},
      },
    ]);
  });

  it('needs no space between -- and migrate, and allows comments and blank lines before the up block', () => {
    const [section] = parseDbmateFile(
      '\n-- about\n\n--migrate:up\ncreate table t ();\n\n--migrate:down\ndrop table t;\n',
    );
    expect(section!.up).toBe('--migrate:up\ncreate table t ();\n\n');
    expect(section!.upOffset).toBe(11);
    expect(section!.down).toBe('--migrate:down\ndrop table t;\n');
  });

  it('reads options on the directive line (transaction:false, unknown keys kept, malformed words ignored)', () => {
    const [section] = parseDbmateFile(
      '-- migrate:up transaction:false foo:bar junk a:b:c\nselect 1;\n-- migrate:down transaction:true\nselect 2;\n',
    );
    expect(section!.upOptions).toEqual({ transaction: 'false', foo: 'bar' });
    expect(section!.downOptions).toEqual({ transaction: 'true' });
  });

  it('keeps CR/LF line endings in the blocks', () => {
    const [section] = parseDbmateFile(
      '-- migrate:up transaction:false\r\ncreate table users ();\r\n-- migrate:down\r\ndrop table users;\r\n',
    );
    expect(section!.up).toBe('-- migrate:up transaction:false\r\ncreate table users ();\r\n');
    expect(section!.upOptions).toEqual({ transaction: 'false' });
    expect(section!.down).toBe('-- migrate:down\r\ndrop table users;\r\n');
  });

  it('does not take `-- migrate:upgrade` or an indented directive for a directive', () => {
    expect(() => parseDbmateFile('-- migrate:upgrade\nselect 1;\n')).toThrow(/no '-- migrate:up' line/);
    expect(() => parseDbmateFile('  -- migrate:up\nselect 1;\n-- migrate:down\n')).toThrow(
      "has no '-- migrate:up' line; '-- migrate:up' is indented on line 1: dbmate needs it at the start of the line",
    );
    expect(() =>
      parseDbmateFile('-- migrate:up\ncreate table t (id int);\n\n\t-- migrate:down\ndrop table t;\n'),
    ).toThrow(
      "has no '-- migrate:down' line after the '-- migrate:up' on line 1; '-- migrate:down' is indented on line 4: dbmate needs it at the start of the line",
    );
  });

  it('refuses SQL before the up block, a missing up block, a missing down block and two downs', () => {
    expect(() =>
      parseDbmateFile("create type s as enum ('a');\n-- migrate:up\nselect 1;\n-- migrate:down\n"),
    ).toThrow("line 1 holds SQL before the '-- migrate:up' line");
    expect(() => parseDbmateFile('-- migrate:down\ndrop table users;\n-- migrate:up\nselect 1;\n')).toThrow(
      "line 2 holds SQL before the '-- migrate:up' line",
    );
    expect(() => parseDbmateFile('alter table users add column x int;\n')).toThrow(
      "has no '-- migrate:up' line",
    );
    expect(() => parseDbmateFile('-- migrate:up\ncreate table users ();\n')).toThrow(
      "has no '-- migrate:down' line after the '-- migrate:up' on line 1",
    );
    expect(() =>
      parseDbmateFile('-- migrate:up\nselect 1;\n-- migrate:down\nselect 2;\n-- migrate:down\nselect 3;\n'),
    ).toThrow("has two '-- migrate:down' lines (lines 3 and 5)");
  });

  it('splits several up/down pairs into sections, as dbmate does', () => {
    const sections = parseDbmateFile(
      '-- migrate:up transaction:false\nselect 1;\n-- migrate:down\nselect 2;\n-- migrate:up\nselect 3;\n-- migrate:down transaction:false\nselect 4;\n',
    );
    expect(sections.map((s) => [s.up, s.upOptions, s.down, s.downOptions])).toEqual([
      [
        '-- migrate:up transaction:false\nselect 1;\n',
        { transaction: 'false' },
        '-- migrate:down\nselect 2;\n',
        {},
      ],
      [
        '-- migrate:up\nselect 3;\n',
        {},
        '-- migrate:down transaction:false\nselect 4;\n',
        { transaction: 'false' },
      ],
    ]);
  });
});

describe('dbmate: reading a folder', () => {
  it('reads the fixture: versions as ids, names, blocks with their offsets, transaction:false', () => {
    const migrations = dbmateFormat.read(FIXTURE);
    expect(migrations.map((m) => [m.id, m.name, m.path])).toEqual([
      ['20240105093000', 'create_users', '20240105093000_create_users.sql'],
      ['20240106120000', 'create_projects_and_tasks', '20240106120000_create_projects_and_tasks.sql'],
      ['20240110081500', 'tasks_updated_at_trigger', '20240110081500_tasks_updated_at_trigger.sql'],
      ['20240112170000', 'index_tasks_project', '20240112170000_index_tasks_project.sql'],
      ['20240120101010', 'add_task_priority', '20240120101010_add_task_priority.sql'],
    ]);
    const trigger = migrations[2]!;
    const file = readFileSync(join(FIXTURE, trigger.path), 'utf8');
    expect(trigger.up.path).toBe(join(FIXTURE, trigger.path));
    expect(trigger.up.text.startsWith('-- migrate:up\nCREATE FUNCTION set_updated_at()')).toBe(true);
    expect(file.slice(trigger.up.offset, trigger.up.offset + trigger.up.text.length)).toBe(trigger.up.text);
    expect(file.slice(trigger.down!.offset)).toBe(trigger.down!.text);
    expect(trigger.down!.text).toBe(
      '-- migrate:down\nDROP TRIGGER tasks_set_updated_at ON tasks;\nDROP FUNCTION set_updated_at();\n',
    );
    expect(trigger.up.offset).toBe(file.indexOf('-- migrate:up'));
    expect(trigger.checksum).toBe(checksumOf(trigger.up.text));
    expect(trigger.up.transaction).toBeUndefined();
    const index = migrations[3]!;
    expect(index.up.transaction).toBe(false);
    expect(index.down!.transaction).toBe(false);
  });

  it('orders files by name byte by byte, as dbmate does (100_… before 10_… before 9_…), like `dbmate status`', async () => {
    const body = '-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n';
    const dir = tempDir({
      '9_b.sql': body,
      '10_a.sql': body,
      '100_c.sql': body,
      'README.md': 'x',
      'schema.sql': '',
    });
    const ids = dbmateFormat.read(dir).map((m) => m.id);
    expect(ids).toEqual(['100', '10', '9']); // '0' sorts before '_'
    const status = await runDbmate(scratchDb.url, dir, ['status']);
    expect(status.stdout.split('\n').filter((line) => line.startsWith('['))).toEqual([
      '[ ] 100_c.sql',
      '[ ] 10_a.sql',
      '[ ] 9_b.sql',
    ]);
  });

  it('refuses two files with the same version, naming both', async () => {
    const body = '-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n';
    const dir = tempDir({ '9_a.sql': body, '9x.sql': body });
    const error = await catchError(() => dbmateFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${join(dir, '9x.sql')}: has the same version 9 as 9_a.sql; dbmate records only the version, so applying one marks both as applied`,
    );
  });

  it.each([
    [
      'no up block',
      'alter table t add column x int;\n',
      "requires each migration to define an up block with '-- migrate:up'",
    ],
    [
      'SQL before the up block',
      'select 1;\n-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n',
      "does not support statements preceding the '-- migrate:up' block",
    ],
    [
      'no down block',
      '-- migrate:up\ncreate table t ();\n',
      "requires each migration to define a down block with '-- migrate:down'",
    ],
  ])('refuses a file with %s, as dbmate itself does', async (_case, content, dbmateMessage) => {
    const dir = tempDir({ '1_broken.sql': content });
    const error = await catchError(() => dbmateFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message.startsWith(`${join(dir, '1_broken.sql')}: `)).toBe(true);
    expect(error.message).toContain(dbmateMessage);
    expect(error.hint).toBeTruthy();
    const native = await runDbmate(scratchDb.url, dir, ['up']);
    expect(native.status).not.toBe(0);
    expect(native.stderr).toContain(dbmateMessage);
  });

  it('refuses a file that starts with a byte order mark, which dbmate cannot parse', async () => {
    const dir = tempDir({
      '1_bom.sql': Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n'),
      ]),
    });
    const error = await catchError(() => dbmateFormat.read(dir));
    expect(error.message).toContain('1_bom.sql: starts with a UTF-8 byte order mark');
    const native = await runDbmate(scratchDb.url, dir, ['up']);
    expect(native.status).not.toBe(0);
    expect(native.stderr).toContain("requires each migration to define an up block with '-- migrate:up'");
  });

  it('refuses a file with two sections: dbmate 2.36 runs the second section and then fails on a duplicate version', async () => {
    const dir = tempDir({
      '1_two_sections.sql':
        '-- migrate:up\ncreate table first_part ();\n-- migrate:down\ndrop table first_part;\n' +
        '-- migrate:up\ncreate table second_part ();\n-- migrate:down\ndrop table second_part;\n',
    });
    const error = await catchError(() => dbmateFormat.read(dir));
    expect(error.message).toContain("has 2 '-- migrate:up' sections");
    expect(error.hint).toMatch(/Split the sections into separate migration files/);

    const native = await runDbmate(scratchDb.url, dir, ['up']);
    expect(native.status).not.toBe(0);
    expect(native.stderr).toContain(
      'duplicate key value violates unique constraint "schema_migrations_pkey"',
    );
    // The failed second section rolled back (it was transactional), the first stayed.
    const tables = await scratchDb.query(
      `SELECT to_regclass('first_part') IS NOT NULL AS first, to_regclass('second_part') IS NOT NULL AS second`,
    );
    expect(tables.rows[0]).toEqual({ first: true, second: false });
  });

  it('detects folders whose SQL files have `-- migrate:up` (score 2)', () => {
    expect(dbmateFormat.detectFolder(FIXTURE)).toBe(2);
    expect(dbmateFormat.detectFolder(join(FIXTURE, '../plain'))).toBe(0);
    expect(dbmateFormat.detectFolder(join(FIXTURE, '../node-pg-migrate'))).toBe(0);
    expect(dbmateFormat.detectFolder('/nonexistent')).toBe(0);
  });
});

describe('dbmate: schema_migrations round trips with the real dbmate 2.36', () => {
  it('reads what `dbmate up` wrote', async () => {
    const up = await runDbmate(nativeDb.url, FIXTURE, ['up']);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    const client = await nativeDb.connect();
    const ctx: HistoryContext = { client };
    expect(await dbmateFormat.history.detect(ctx)).toBe(true);
    const state = await dbmateFormat.history.read(ctx);
    expect(state.exists).toBe(true);
    expect(state.table).toBe('public.schema_migrations');
    expect(state.applied).toEqual(VERSIONS.map((id) => ({ id, state: 'applied' })));
  });

  it('writes what dbmate writes: same table, same rows, same schema; dbmate then sees everything applied', async () => {
    const client = await pgwardenDb.connect();
    await applyWithAdapter(client, dbmateFormat, dbmateFormat.read(FIXTURE));
    const native = await nativeDb.connect();
    expect(await tableShape(client, 'public.schema_migrations')).toEqual([
      'version character varying not null',
    ]);
    expect(await describeTable(client, 'public', 'schema_migrations')).toEqual(
      await describeTable(native, 'public', 'schema_migrations'),
    );
    const rows = 'SELECT version FROM schema_migrations ORDER BY version';
    expect((await client.query(rows)).rows).toEqual((await native.query(rows)).rows);
    expect(await appSchema(client, ['schema_migrations'])).toEqual(
      await appSchema(native, ['schema_migrations']),
    );

    const status = await runDbmate(pgwardenDb.url, FIXTURE, ['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('Applied: 5\nPending: 0');
    const again = await runDbmate(pgwardenDb.url, FIXTURE, ['up']);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('Applying');
  });

  it('lets `dbmate rollback` undo a migration pgwarden applied', async () => {
    const rollback = await runDbmate(pgwardenDb.url, FIXTURE, ['rollback']);
    expect(rollback.status).toBe(0);
    expect(rollback.stdout).toContain('Rolled back: 20240120101010_add_task_priority.sql');
    const client = await pgwardenDb.connect();
    const state = await dbmateFormat.history.read({ client });
    expect(state.applied.map((r) => r.id)).toEqual(VERSIONS.slice(0, 4));
    expect(await hasColumn(client, 'tasks', 'priority')).toBe(false);
  });

  it('rolls back a transaction:false migration so that `dbmate up` applies it again', async () => {
    const client = await nativeDb.connect();
    const migrations = dbmateFormat.read(FIXTURE);
    await rollBackWithAdapter(client, dbmateFormat, migrations[4]!, migrations[3]);
    await rollBackWithAdapter(client, dbmateFormat, migrations[3]!, migrations[2]); // DROP INDEX CONCURRENTLY
    const status = await runDbmate(nativeDb.url, FIXTURE, ['status']);
    expect(status.stdout).toContain(
      '[X] 20240110081500_tasks_updated_at_trigger.sql\n[ ] 20240112170000_index_tasks_project.sql\n[ ] 20240120101010_add_task_priority.sql',
    );
    const up = await runDbmate(nativeDb.url, FIXTURE, ['up']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('Applying: 20240112170000_index_tasks_project.sql');
    const index = await client.query(`SELECT to_regclass('tasks_project_id_idx') IS NOT NULL AS found`);
    expect(index.rows[0].found).toBe(true);
  });

  it('uses a configured schema.table like `--migrations-table`, creating the schema as dbmate does', async () => {
    const body = '-- migrate:up\ncreate table audit_log (id int);\n-- migrate:down\ndrop table audit_log;\n';
    const dir = tempDir({ '20240301000000_audit_log.sql': body });
    const native = await runDbmate(scratchDb.url, dir, ['up'], { table: 'history.dbmate_versions' });
    expect(native.status).toBe(0);
    const client = await scratchDb.connect();
    const state = await dbmateFormat.history.read({ client, table: 'history.dbmate_versions' });
    expect(state).toEqual({
      exists: true,
      table: 'history.dbmate_versions',
      applied: [{ id: '20240301000000', state: 'applied' }],
    });
    const ctx: HistoryContext = { client, table: 'ledger.dbmate_versions' };
    await dbmateFormat.history.ensure(ctx);
    await dbmateFormat.history.ensure(ctx);
    expect(await tableShape(client, 'ledger.dbmate_versions')).toEqual(
      await tableShape(client, 'history.dbmate_versions'),
    );
  });

  it('follows current_schema() for an unqualified table, as dbmate does without a search_path in the URL', async () => {
    const client = await scratchDb.connect();
    await client.query('CREATE SCHEMA tenant_a');
    await client.query('SET search_path TO tenant_a');
    await dbmateFormat.history.ensure({ client });
    const state = await dbmateFormat.history.read({ client });
    expect(state).toEqual({ exists: true, table: 'tenant_a.schema_migrations', applied: [] });
    await client.query('RESET search_path');
  });

  it('does not take golang-migrate’s schema_migrations (version bigint, dirty) for its own', async () => {
    const client = await scratchDb.connect();
    await client.query(
      'CREATE TABLE public.gm (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)',
    );
    expect(await dbmateFormat.history.detect({ client, table: 'gm' })).toBe(false);
    await client.query(
      'CREATE TABLE public.gm_varchar (version varchar NOT NULL PRIMARY KEY, dirty boolean)',
    );
    expect(await dbmateFormat.history.detect({ client, table: 'gm_varchar' })).toBe(false);
    expect(await dbmateFormat.history.detect({ client, table: 'missing' })).toBe(false);
  });
});

describe('dbmate: status of a folder that migrate refuses', () => {
  const files = {
    '20240101000000_users.sql':
      '-- migrate:up\nCREATE TABLE st_users (id int);\n-- migrate:down\nDROP TABLE st_users;\n',
    '20240102000000_email.sql':
      '-- migrate:up\nALTER TABLE st_users ADD email text;\n\n  -- migrate:down\nALTER TABLE st_users DROP email;\n',
    '20240103000000_name.sql': '-- migrate:up\nALTER TABLE st_users ADD name text;\n-- migrate:down\n',
    'pgwarden.config.json': JSON.stringify({ migrations: { dir: '.', table: 'st.schema_migrations' } }),
  };
  const indented =
    "has no '-- migrate:down' line after the '-- migrate:up' on line 1; '-- migrate:down' is indented on line 4: dbmate needs it at the start of the line";

  it('lists the broken file with the line and the refusal, everything else as usual, and exits 2', async () => {
    const dir = tempDir(files);
    await scratchDb.query(`CREATE SCHEMA st; CREATE TABLE st.schema_migrations (version varchar PRIMARY KEY);
      INSERT INTO st.schema_migrations VALUES ('20240101000000'), ('20240102000000')`);
    const source = { cwd: dir, dir: '.', table: 'st.schema_migrations' };

    const found = await status({ ...source, databaseUrl: scratchDb.url });
    expect(found.entries.map((e) => [e.id, e.state])).toEqual([
      ['20240101000000', 'applied'],
      ['20240103000000', 'pending'],
    ]);
    expect(found.counts.missing).toBe(0); // the row of the broken file is shown with it
    expect(found.broken).toEqual([
      {
        path: '20240102000000_email.sql',
        code: 'USAGE',
        reason: expect.stringContaining(indented),
        hint: expect.stringContaining('Add a `-- migrate:down` line'),
        applied: true, // dbmate records no time
      },
    ]);
    // migrate refuses the folder with the same words
    expect((await catchError(loadMigrations(source))).message).toContain(indented);

    let stdout = '';
    const io = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: () => true },
      env: {},
      cwd: dir,
    };
    const code = await runMigrationCommand('status', [], { color: false, databaseUrl: scratchDb.url }, io);
    expect(code).toBe(2);
    const lines = stdout.split('\n');
    expect(lines).toContain(`  broken    20240102000000_email.sql (applied)  ${found.broken![0]!.reason}`);
    expect(lines).toContain('1 applied, 1 pending, 1 broken');
    expect(lines).toContain('pgwarden migrate refuses the folder until the broken file is fixed.');
  });

  it('takes any file error of any format as one broken file: not UTF-8, a down marker in an up script', async () => {
    const dir = tempDir({
      'db/20240101000000_a.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n',
      'db/20240102000000_b.sql': Buffer.from("-- migrate:up\nSELECT '\xff';\n-- migrate:down\n", 'latin1'),
      'plain/001_a.sql': 'SELECT 1;\n',
      'plain/002_b.sql': 'SELECT 2;\n-- migrate:down\nSELECT 3;\n',
    });
    const dbmate = await loadMigrations({ cwd: dir, dir: 'db', format: 'dbmate', tolerant: true });
    expect(dbmate.migrations.map((m) => m.id)).toEqual(['20240101000000']);
    expect(dbmate.broken).toEqual([
      expect.objectContaining({
        code: 'FILE_NOT_UTF8',
        reason: 'not valid UTF-8 (invalid byte 0xff at byte 22, line 2)',
      }),
    ]);
    const plain = await loadMigrations({ cwd: dir, dir: 'plain', format: 'plain', tolerant: true });
    expect(plain.migrations.map((m) => m.id)).toEqual(['001_a']);
    expect(plain.broken).toEqual([
      expect.objectContaining({ path: join(dir, 'plain/002_b.sql'), code: 'FORMAT_MISMATCH' }),
    ]);
  });
});
