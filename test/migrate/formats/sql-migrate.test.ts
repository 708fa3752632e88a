/**
 * sql-migrate format: files split as sql-migrate's sqlparse.go splits them (cases after its own
 * sqlparse_test.go and sort_test.go), folders read in its order, `gorp_migrations` created and
 * filled as gorp does it for PostgreSQL (no sql-migrate binary is available offline: the table is
 * compared with the one gorp's own DDL creates, the rows with what its INSERT writes), the runner
 * applying and rolling back the fixture, and the files `pgwarden fix` writes read back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planMigrationFiles } from '../../../src/fix/write-migrations.js';
import { checksumOf } from '../../../src/migrate/checksum.js';
import {
  compareSqlMigrateIds,
  parseSqlMigrateFile,
  sqlMigrateFormat,
} from '../../../src/migrate/formats/sql-migrate.js';
import { migrate } from '../../../src/migrate/migrate.js';
import { rollback } from '../../../src/migrate/rollback.js';
import { loadMigrations } from '../../../src/migrate/source.js';
import { status } from '../../../src/migrate/status.js';
import type { HistoryContext } from '../../../src/migrate/types.js';
import { loadParser } from '../../../src/sql/parser.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import { catchError, describeTable, hasColumn, tableShape } from './support.js';

const PROJECT = join(import.meta.dirname, '../../fixtures/migrate/sql-migrate');
const FIXTURE = join(PROJECT, 'migrations');
const IDS = [
  '1_create_users.sql',
  '2_create_projects_and_tasks.sql',
  '3_tasks_updated_at_trigger.sql',
  '4_index_tasks_project.sql',
  '10_add_task_priority.sql',
];

const db = useTestDatabase();

/** The statements sql-migrate sends for the up (down) sections of `text`. */
const upOf = (text: string) => parseSqlMigrateFile(text).up;

describe('sql-migrate: splitting a file like sqlparse.go', () => {
  it('ends a statement at a line whose last word before a `--` comment ends with `;`', () => {
    expect(
      upOf(
        "-- +migrate Up\nSELECT 1; -- one\nSELECT 2 -- two ;\n, 3;\nSELECT 4   ; -- four\nSELECT 'a;' || 'b'\n;\nSELECT 5;--x\n;\n",
      ),
    ).toEqual([
      'SELECT 1; -- one\n',
      'SELECT 2 -- two ;\n, 3;\n',
      'SELECT 4   ; -- four\n',
      "SELECT 'a;' || 'b'\n;\n",
      'SELECT 5;--x\n;\n',
    ]);
  });

  it('drops `-- ` comment lines and `-- +` lines; keeps indented comments and `--x` in the statement', () => {
    expect(
      upOf('-- +migrate Up\n-- about\nCREATE TABLE t (\n  -- indented\n--tight\n-- +goose Up\n  id int);\n'),
    ).toEqual(['CREATE TABLE t (\n  -- indented\n--tight\n  id int);\n']);
  });

  it('keeps a PL/pgSQL body whole between StatementBegin and StatementEnd (sqlparse_test.go functxt)', () => {
    const file = parseSqlMigrateFile(
      '-- +migrate Up\nCREATE TABLE h (id int);\n\n-- +migrate StatementBegin\nCREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  PERFORM 1;\nEND;  -- end\n$$\nlanguage plpgsql;\n-- +migrate StatementEnd\n\n-- +migrate Down\ndrop function f();\ndrop TABLE h;\n',
    );
    expect(file.up).toEqual([
      'CREATE TABLE h (id int);\n',
      '\nCREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  PERFORM 1;\nEND;  -- end\n$$\nlanguage plpgsql;\n',
    ]);
    // the blank line after the last up statement starts the first down one, as in sql-migrate
    expect(file.down).toEqual(['\ndrop function f();\n', 'drop TABLE h;\n']);
    // without the block, the body is cut at its line-end semicolons
    expect(upOf('-- +migrate Up\nDO $$\nBEGIN\n  PERFORM 1;\nEND $$;\n')).toEqual([
      'DO $$\nBEGIN\n  PERFORM 1;\n',
      'END $$;\n',
    ]);
    // StatementBegin before the first section means nothing
    expect(upOf('-- +migrate StatementBegin\n-- +migrate Up\nSELECT 1;\n')).toEqual(['SELECT 1;\n']);
  });

  it('joins several Up and Down sections (sqlparse_test.go multitxt); notransaction per direction; CRLF', () => {
    const text =
      '-- +migrate Up\r\nCREATE TABLE post (id int);\r\n\r\n-- +migrate Down notransaction\r\nDROP TABLE post;\r\n' +
      '-- +migrate Up\r\nCREATE TABLE fancier_post (id int);\r\n-- +migrate Down\r\nDROP TABLE fancier_post;\r\n';
    const file = parseSqlMigrateFile(text);
    expect(file.up).toEqual(['CREATE TABLE post (id int);\n', 'CREATE TABLE fancier_post (id int);\n']);
    expect(file.down).toEqual(['\nDROP TABLE post;\n', 'DROP TABLE fancier_post;\n']);
    expect([file.upNoTransaction, file.downNoTransaction]).toEqual([false, true]);
    expect(file.upSections.map((s) => text.slice(s.start, s.end).split('\r\n')[1])).toEqual([
      'CREATE TABLE post (id int);',
      'CREATE TABLE fancier_post (id int);',
    ]);
    expect(parseSqlMigrateFile('-- +migrate  Up   notransaction\nSELECT 1;\n').upNoTransaction).toBe(true);
  });

  it.each([
    [
      'a statement not ended before the Down line',
      '-- +migrate Up\nCREATE TABLE post (\n  id int\n)\n\n-- +migrate Down\nDROP TABLE post;\n',
      2,
      'the statement that starts here does not end before `-- +migrate Down` on line 6',
    ],
    [
      'a last statement not ended',
      '-- +migrate Up\nSELECT 1;\n-- +migrate Down\nDROP TABLE post\n',
      4,
      'does not end before the end of the file',
    ],
    [
      'an indented comment closing a section',
      '-- +migrate Up\nSELECT 1;\n  -- done\n-- +migrate Down\n',
      3,
      'An indented comment, or one without a space after `--`, counts as statement text',
    ],
    [
      'text after a second StatementBegin (sqlparse_test.go intentionallyBad)',
      "-- +migrate Up\n-- +migrate StatementBegin\nCREATE TABLE post (id int);\n-- +migrate StatementBegin\nSELECT 'no semicolon'\n\n-- +migrate Down\nDROP TABLE post;\n",
      3,
      'the statement that starts here does not end before `-- +migrate Down` on line 7',
    ],
    [
      'a StatementBegin without StatementEnd',
      '-- +migrate Up\n-- +migrate StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n',
      2,
      '`-- +migrate StatementBegin` has no `-- +migrate StatementEnd` after it',
    ],
    [
      'no Up or Down line',
      'CREATE TABLE post (id int);\n',
      1,
      'has no `-- +migrate Up` or `-- +migrate Down` line',
    ],
    ['a command without its word', '-- +migrate \nSELECT 1;\n', 1, '("incomplete migration command")'],
    ['a line of 1 MiB', `-- +migrate Up\nSELECT '${'x'.repeat(1 << 20)}';\n`, 2, 'token too long'],
  ])('refuses %s, as sql-migrate does, naming the line', (_case, text, line, message) => {
    let error: unknown;
    try {
      parseSqlMigrateFile(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ line });
    const { hint } = error as { hint: string };
    expect(`${(error as Error).message}\n${hint}`).toContain(message);
    expect(hint).toBeTruthy();
  });

  it.each([
    ['-- +migrate up', 'Up', 'does not start an up section there'],
    ['  -- +migrate Down', 'Down', 'the lines after it would run as part of the up section before it'],
    ['--+migrate Down', 'Down', 'does not start a down section'],
    ['--  +migrate Down', 'Down', 'does not start a down section'],
    ['-- +migrate\tDown', 'Down', 'does not start a down section'],
    ['-- +migrate statementend', 'StatementEnd', 'does not end a statement block'],
  ])('refuses `%s`, a marker sql-migrate does not read as one', (marker, meant, effect) => {
    const text = `-- +migrate Up\nCREATE TABLE t (id int);\n${marker}\nDROP TABLE t;\n`;
    let error: unknown;
    try {
      parseSqlMigrateFile(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ line: 3 });
    expect((error as Error).message).toContain(`"${marker.trim()}" is not a marker sql-migrate reads`);
    expect((error as Error).message).toContain(effect);
    expect((error as { hint: string }).hint).toContain(`\`-- +migrate ${meant}\``);
  });

  it('says that sql-migrate would skip the up SQL after a misspelt first marker', () => {
    expect(() => parseSqlMigrateFile('-- +migrate UP\nCREATE TABLE t (id int);\n-- +migrate Down\n')).toThrow(
      '"-- +migrate UP" is not a marker sql-migrate reads; it does not start an up section there: it would ignore the lines after it, up to the next marker',
    );
  });
});

describe('sql-migrate: reading a folder', () => {
  it('reads the fixture: file names as ids, sections with their offsets, StatementBegin, notransaction', () => {
    const migrations = sqlMigrateFormat.read(FIXTURE);
    expect(migrations.map((m) => [m.id, m.name, m.path])).toEqual(
      IDS.map((id) => [id, id.replace(/^\d+_/, '').replace(/\.sql$/, ''), id]),
    );
    const trigger = migrations[2]!;
    const file = readFileSync(join(FIXTURE, trigger.path), 'utf8');
    expect(trigger.up.path).toBe(join(FIXTURE, trigger.path));
    expect(trigger.up.offset).toBe(file.indexOf('-- +migrate Up'));
    expect(file.slice(trigger.up.offset, trigger.up.offset + trigger.up.text.length)).toBe(trigger.up.text);
    expect(trigger.up.text).toContain('-- +migrate StatementBegin\nCREATE FUNCTION set_updated_at()');
    expect(trigger.down!.text).toBe(
      '-- +migrate Down\nDROP TRIGGER tasks_set_updated_at ON tasks;\nDROP FUNCTION set_updated_at();\n',
    );
    expect(file.slice(trigger.down!.offset)).toBe(trigger.down!.text);
    expect(trigger.checksum).toBe(checksumOf(trigger.up.text));
    expect([trigger.up.transaction, trigger.down!.transaction]).toEqual([undefined, undefined]);
    const index = migrations[3]!;
    expect([index.up.transaction, index.down!.transaction]).toEqual([false, false]);
  });

  it('orders numbered names by number, then by name, before the others (sort_test.go), as sql-migrate does', () => {
    const body = '-- +migrate Up\nSELECT 1;\n';
    const names = ['10_abc', '120_cde', '1_abc', 'efg', '2_cde', '35_cde', '3_efg', '4_abc'];
    expect([...names].sort(compareSqlMigrateIds)).toEqual([
      '1_abc',
      '2_cde',
      '3_efg',
      '4_abc',
      '10_abc',
      '35_cde',
      '120_cde',
      'efg',
    ]);
    const dir = tempDir({
      '10_a.sql': body,
      '2_b.sql': body,
      '1_c.sql': body,
      '001_d.sql': body,
      '20240105093000-e.sql': body,
      'abc.sql': body,
      '.hidden.sql': body,
      'README.md': 'not a migration',
      'upper.SQL': 'not a migration either',
      'nested/3_x.sql': body,
    });
    expect(sqlMigrateFormat.read(dir).map((m) => m.id)).toEqual([
      '001_d.sql',
      '1_c.sql',
      '2_b.sql',
      '10_a.sql',
      '20240105093000-e.sql',
      '.hidden.sql',
      'abc.sql',
    ]);
  });

  it('runs several sections of a direction as one script, the other direction blanked out', () => {
    const text =
      '-- +migrate Up\nCREATE TABLE post (id int);\n-- +migrate Down\nDROP TABLE post;\n-- +migrate Up\nCREATE TABLE tag (id int);\n';
    const dir = tempDir({ '1_two.sql': text });
    const [m] = sqlMigrateFormat.read(dir);
    expect(m!.up.offset).toBe(0);
    expect(m!.up.text).toBe(
      '-- +migrate Up\nCREATE TABLE post (id int);\n                \n                \n-- +migrate Up\nCREATE TABLE tag (id int);\n',
    );
    expect(m!.down).toEqual({
      path: join(dir, '1_two.sql'),
      text: '-- +migrate Down\nDROP TABLE post;\n',
      offset: text.indexOf('-- +migrate Down'),
    });
  });

  it('warns about SQL before the first marker and a file without Up; a file without Down has no down script', () => {
    const dir = tempDir({
      '1_before.sql': '-- fine\nCREATE TABLE lost (id int);\n\n-- +migrate Up\nSELECT 1;\n',
      '2_down_only.sql': '-- +migrate Down\nSELECT 1;\n',
    });
    const warnings: string[] = [];
    const [before, downOnly] = sqlMigrateFormat.read(dir, (message) => warnings.push(message));
    expect(warnings).toEqual([
      '1_before.sql: line 2 comes before the first `-- +migrate Up`/`Down` line; sql-migrate ignores it, and so does pgwarden',
      '2_down_only.sql: has no `-- +migrate Up` section; sql-migrate records it as applied without running anything, and so does pgwarden',
    ]);
    expect(before!.up.text).toBe('-- +migrate Up\nSELECT 1;\n');
    expect(before!.down).toBeUndefined();
    expect(downOnly!.up.text).toBe('');
  });

  it('refuses a broken file with a USAGE error naming the file and the line', async () => {
    const dir = tempDir({
      '1_ok.sql': '-- +migrate Up\nSELECT 1;\n',
      '2_broken.sql': '-- +migrate Up\nCREATE TABLE t (id int);\n\n-- +migrate down\nDROP TABLE t;\n',
    });
    const error = await catchError(() => sqlMigrateFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${join(dir, '2_broken.sql')}: line 4: "-- +migrate down" is not a marker sql-migrate reads; it does not start a down section there: the lines after it would run as part of the up section before it`,
    );
    expect(error.hint).toBe(
      'Write it as `-- +migrate Down`: at the start of the line, one space after `--` and after `+migrate`, with this capitalisation.',
    );
  });

  it('refuses a number beyond int64 and a byte order mark before a marker on the first line', async () => {
    const big = tempDir({ '9223372036854775808_x.sql': '-- +migrate Up\nSELECT 1;\n' });
    expect((await catchError(() => sqlMigrateFormat.read(big))).message).toContain(
      'its number 9223372036854775808 does not fit in a 64-bit integer',
    );
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const marked = tempDir({
      '1_bom.sql': Buffer.concat([bom, Buffer.from('-- +migrate Up\nSELECT 1;\n')]),
    });
    expect((await catchError(() => sqlMigrateFormat.read(marked))).message).toContain(
      '1_bom.sql: line 1: the file starts with a UTF-8 byte order mark',
    );
    const commented = tempDir({
      '1_bom.sql': Buffer.concat([bom, Buffer.from('-- about\n-- +migrate Up\nSELECT 1;\n')]),
    });
    expect(sqlMigrateFormat.read(commented).map((m) => m.up.text)).toEqual(['-- +migrate Up\nSELECT 1;\n']);
  });

  it('detects folders whose SQL files have an Up or Down line (score 2)', () => {
    expect(sqlMigrateFormat.detectFolder(FIXTURE)).toBe(2);
    expect(sqlMigrateFormat.detectFolder(join(PROJECT, '../dbmate'))).toBe(0);
    expect(sqlMigrateFormat.detectFolder(join(PROJECT, '../plain'))).toBe(0);
    expect(sqlMigrateFormat.detectFolder(tempDir({ '1_goose.sql': '-- +goose Up\nSELECT 1;\n' }))).toBe(0);
    expect(sqlMigrateFormat.detectFolder('/nonexistent')).toBe(0);
  });
});

describe('sql-migrate: gorp_migrations as gorp creates and fills it', () => {
  const history = sqlMigrateFormat.history;

  it('creates the table as gorp does (schema created when one is configured), idempotently', async () => {
    const client = await db.connect();
    // gorp's SqlForCreate(ifNotExists) with PostgresDialect for SetSchema("native"): the schema
    // unquoted, the table and columns quoted
    await client.query(
      `create schema if not exists native; create table if not exists native."gorp_migrations" ("id" text not null primary key, "applied_at" timestamp with time zone) ;`,
    );
    const ctx: HistoryContext = { client, table: 'ops.gorp_migrations' };
    await history.ensure(ctx);
    await history.ensure(ctx);
    expect(await tableShape(client, 'ops.gorp_migrations')).toEqual([
      'id text not null',
      'applied_at timestamp with time zone',
    ]);
    expect(await describeTable(client, 'ops', 'gorp_migrations')).toEqual(
      await describeTable(client, 'native', 'gorp_migrations'),
    );
    expect(await history.detect(ctx)).toBe(true);
    expect(await history.detect({ client, table: 'native.gorp_migrations' })).toBe(true);
  });

  it('reads rows as gorp inserts them, in sql-migrate’s order, with applied_at', async () => {
    const client = await db.connect();
    const at = new Date('2024-01-05T09:30:00.123Z');
    for (const id of ['10_a.sql', 'abc.sql', '2_b.sql', '1_c.sql']) {
      await client.query('insert into native."gorp_migrations" ("id","applied_at") values ($1,$2);', [
        id,
        at,
      ]);
    }
    const state = await history.read({ client, table: 'native.gorp_migrations' });
    expect(state).toEqual({
      exists: true,
      table: 'native.gorp_migrations',
      applied: ['1_c.sql', '2_b.sql', '10_a.sql', 'abc.sql'].map((id) => ({
        id,
        appliedAt: at,
        state: 'applied',
      })),
    });
    expect(await history.read({ client, table: 'native.missing' })).toEqual({
      exists: false,
      table: 'native.missing',
      applied: [],
    });
  });

  it('follows current_schema() for the unqualified default table', async () => {
    const client = await db.connect();
    await client.query('CREATE SCHEMA tenant_a; SET search_path TO tenant_a');
    await history.ensure({ client });
    expect(await history.read({ client })).toEqual({
      exists: true,
      table: 'tenant_a.gorp_migrations',
      applied: [],
    });
    await client.query('RESET search_path');
  });

  it('does not take another tool’s table for its own', async () => {
    const client = await db.connect();
    await client.query(`CREATE SCHEMA others;
      CREATE TABLE others.dbmate (version varchar PRIMARY KEY);
      CREATE TABLE others.plain (id text PRIMARY KEY, checksum text, applied_at timestamptz, duration_ms int);
      CREATE TABLE others.flyway_like (id int PRIMARY KEY, applied_at timestamptz)`);
    for (const table of ['others.dbmate', 'others.plain', 'others.flyway_like', 'others.missing']) {
      expect(await history.detect({ client, table })).toBe(false);
    }
  });
});

describe('sql-migrate: the runner on the fixture', () => {
  const options = (extra: object = {}) => ({
    databaseUrl: db.url,
    cwd: PROJECT,
    dir: 'migrations',
    format: 'sql-migrate',
    allowUncommitted: true,
    ...extra,
  });
  const rows = async () =>
    (await db.query('SELECT id FROM public.gorp_migrations')).rows
      .map((r) => r.id)
      .sort(compareSqlMigrateIds);

  it('applies, rolls back two (one notransaction) and applies again, writing gorp_migrations as sql-migrate', async () => {
    const result = await migrate(options());
    expect(result.applied.map((a) => [a.id, a.mode])).toEqual(
      IDS.map((id) => [id, id === '4_index_tasks_project.sql' ? 'statements' : 'transaction']),
    );
    expect(await rows()).toEqual(IDS);
    const client = await db.connect();
    expect(await sqlMigrateFormat.history.detect({ client })).toBe(true);
    expect(await tableShape(client, 'public.gorp_migrations')).toEqual([
      'id text not null',
      'applied_at timestamp with time zone',
    ]);
    const stamped = await db.query(
      `SELECT count(*)::int AS n FROM gorp_migrations WHERE applied_at BETWEEN now() - interval '5 minutes' AND now() + interval '5 minutes'`,
    );
    expect(stamped.rows[0].n).toBe(IDS.length);

    const back = await rollback(options({ steps: 2 }));
    expect(back.rolledBack.map((r) => [r.id, r.mode])).toEqual([
      ['10_add_task_priority.sql', 'transaction'],
      ['4_index_tasks_project.sql', 'statements'],
    ]);
    expect(await rows()).toEqual(IDS.slice(0, 3));
    expect(await hasColumn(client, 'tasks', 'priority')).toBe(false);
    const index = await db.query(`SELECT to_regclass('tasks_project_id_idx') AS i`);
    expect(index.rows[0].i).toBeNull();
    expect((await status(options())).entries.map((e) => [e.id, e.state])).toEqual(
      IDS.map((id, i) => [id, i < 3 ? 'applied' : 'pending']),
    );

    expect((await migrate(options())).applied.map((a) => a.id)).toEqual(IDS.slice(3));
    expect(await rows()).toEqual(IDS);
  });

  it('passes the reader’s warnings on with the folder', async () => {
    const dir = tempDir({ '1_x.sql': 'SELECT 1;\n-- +migrate Up\nSELECT 2;\n' });
    const source = await loadMigrations({ cwd: dir, dir: '.', format: 'auto' });
    expect(source.format.id).toBe('sql-migrate');
    expect(source.warnings).toEqual([
      '1_x.sql: line 1 comes before the first `-- +migrate Up`/`Down` line; sql-migrate ignores it, and so does pgwarden',
    ]);
  });
});

describe('sql-migrate: files written by pgwarden fix', () => {
  beforeAll(() => loadParser());
  const now = new Date('2024-03-01T12:00:00Z');

  it('continues a numbered folder; notransaction on both markers; several statements in one file', () => {
    const existing = sqlMigrateFormat.read(FIXTURE);
    const planned = planMigrationFiles(
      'sql-migrate',
      FIXTURE,
      existing,
      [
        {
          name: 'tasks_title_index',
          up: 'CREATE INDEX CONCURRENTLY tasks_title_idx ON tasks (title);\nCREATE INDEX CONCURRENTLY tasks_done_idx ON tasks (done);',
          down: 'DROP INDEX CONCURRENTLY tasks_title_idx;',
          transaction: false,
        },
        { name: 'tasks_note', up: 'ALTER TABLE tasks ADD COLUMN note text;', transaction: true },
      ],
      now,
    );
    expect(planned).toEqual([
      {
        id: '11_tasks_title_index.sql',
        files: [
          {
            path: join(FIXTURE, '11_tasks_title_index.sql'),
            text: '-- +migrate Up notransaction\nCREATE INDEX CONCURRENTLY tasks_title_idx ON tasks (title);\n\nCREATE INDEX CONCURRENTLY tasks_done_idx ON tasks (done);\n\n-- +migrate Down notransaction\nDROP INDEX CONCURRENTLY tasks_title_idx;\n',
          },
        ],
      },
      {
        id: '12_tasks_note.sql',
        files: [
          {
            path: join(FIXTURE, '12_tasks_note.sql'),
            text: '-- +migrate Up\nALTER TABLE tasks ADD COLUMN note text;\n',
          },
        ],
      },
    ]);
    const dir = tempDir(Object.fromEntries(planned.map((p) => [p.id, p.files[0]!.text])));
    const [index, note] = sqlMigrateFormat.read(dir);
    expect([index!.up.transaction, index!.down!.transaction, note!.up.transaction]).toEqual([
      false,
      false,
      undefined,
    ]);
    expect(parseSqlMigrateFile(planned[0]!.files[0]!.text).up).toHaveLength(2);
    expect(note!.down).toBeUndefined();
  });

  it('puts a statement that the line rule would cut between StatementBegin and StatementEnd; timestamps with `-` in an empty folder', () => {
    const body =
      "DO $$\nBEGIN\n  UPDATE tasks SET done = true WHERE title = 'x';\nEND $$;\nUPDATE tasks SET done = false;\nUPDATE tasks SET title = title";
    const [planned] = planMigrationFiles(
      'sql-migrate',
      '/tmp/empty',
      [],
      [{ name: 'reset_done', up: body, transaction: true }],
      now,
    );
    expect(planned!.id).toBe('20240301120000-reset_done.sql');
    const text = planned!.files[0]!.text;
    expect(text).toBe(
      "-- +migrate Up\n-- +migrate StatementBegin\nDO $$\nBEGIN\n  UPDATE tasks SET done = true WHERE title = 'x';\nEND $$;\n-- +migrate StatementEnd\n\nUPDATE tasks SET done = false;\n\n-- +migrate StatementBegin\nUPDATE tasks SET title = title\n-- +migrate StatementEnd\n",
    );
    expect(parseSqlMigrateFile(text).up).toHaveLength(3);
  });

  it('refuses SQL holding a line sql-migrate would read as a marker', async () => {
    const error = await catchError(() =>
      planMigrationFiles(
        'sql-migrate',
        FIXTURE,
        [],
        [{ name: 'odd', up: 'SELECT 1;\n-- +migrate Down\nSELECT 2;', transaction: true }],
        now,
      ),
    );
    expect(error.message).toBe(
      'new sql-migrate migration odd: the SQL has a line sql-migrate reads as a marker: -- +migrate Down',
    );
  });
});
