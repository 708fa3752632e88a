/**
 * pgwarden's plain format: reading `NNN_name.sql` / `NNN_name.down.sql` folders and its own
 * ledger `pgwarden.schema_migrations`, against a real server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../../src/migrate/checksum.js';
import { plainFormat } from '../../../src/migrate/formats/plain.js';
import type { HistoryContext } from '../../../src/migrate/types.js';
import { useTestDatabase } from '../../support/database.js';
import { tempDir } from '../../support/files.js';
import {
  applyWithAdapter,
  catchError,
  rollBackWithAdapter,
  tableConstraints,
  tableShape,
} from './support.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/migrate/plain');
const db = useTestDatabase();

describe('plain: reading a folder', () => {
  it('reads the fixture in number order, with down scripts where they exist', () => {
    const migrations = plainFormat.read(FIXTURE);
    expect(migrations.map((m) => [m.id, m.name, m.path, m.down?.path ?? null])).toEqual([
      [
        '001_create_users',
        'create_users',
        '001_create_users.sql',
        join(FIXTURE, '001_create_users.down.sql'),
      ],
      [
        '002_create_projects_and_tasks',
        'create_projects_and_tasks',
        '002_create_projects_and_tasks.sql',
        join(FIXTURE, '002_create_projects_and_tasks.down.sql'),
      ],
      [
        '003_tasks_updated_at_trigger',
        'tasks_updated_at_trigger',
        '003_tasks_updated_at_trigger.sql',
        join(FIXTURE, '003_tasks_updated_at_trigger.down.sql'),
      ],
      [
        '004_index_tasks_project',
        'index_tasks_project',
        '004_index_tasks_project.sql',
        join(FIXTURE, '004_index_tasks_project.down.sql'),
      ],
      ['005_add_task_priority', 'add_task_priority', '005_add_task_priority.sql', null],
    ]);
    const trigger = migrations[2]!;
    const file = readFileSync(join(FIXTURE, '003_tasks_updated_at_trigger.sql'), 'utf8');
    expect(trigger.up).toEqual({
      path: join(FIXTURE, '003_tasks_updated_at_trigger.sql'),
      text: file,
      offset: 0,
    });
    expect(trigger.checksum).toBe(checksumOf(file));
    expect(trigger.down!.text).toBe(
      readFileSync(join(FIXTURE, '003_tasks_updated_at_trigger.down.sql'), 'utf8'),
    );
  });

  it('orders by the number, not the text (2 < 9 < 10 < 100), and ignores files that are not migrations', () => {
    const dir = tempDir({
      '10_c.sql': 'SELECT 10;',
      '9_b.sql': 'SELECT 9;',
      '100_d.sql': 'SELECT 100;',
      '2_a.sql': 'SELECT 2;',
      'README.md': 'notes',
      'seed.sql': 'SELECT 0;',
      '7.sql': 'SELECT 7;',
      '8_upper.SQL': 'SELECT 8;',
      'x_1.sql': 'SELECT 1;',
    });
    expect(plainFormat.read(dir).map((m) => m.id)).toEqual(['2_a', '9_b', '10_c', '100_d']);
  });

  it('refuses a down file without its up file, naming both', async () => {
    const dir = tempDir({ '001_users.sql': 'SELECT 1;', '002_orders.down.sql': 'SELECT 2;' });
    const error = await catchError(() => plainFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(
      `${join(dir, '002_orders.down.sql')}: is a down migration without its up migration 002_orders.sql`,
    );
    expect(error.hint).toMatch(/Rename it/);
  });

  it('refuses a down file whose name does not match the up file of the same number', async () => {
    const dir = tempDir({ '001_users.sql': 'SELECT 1;', '001_user.down.sql': 'SELECT 2;' });
    expect((await catchError(() => plainFormat.read(dir))).message).toContain(
      '001_user.down.sql: is a down migration without',
    );
  });

  it('refuses two migrations with the same number (also 1 and 001), naming both files', async () => {
    const dir = tempDir({ '001_users.sql': 'SELECT 1;', '1_orders.sql': 'SELECT 2;' });
    const error = await catchError(() => plainFormat.read(dir));
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(
      /(001_users\.sql|1_orders\.sql): has the same number as (1_orders|001_users)\.sql/,
    );
  });

  it('says when the folder does not exist', async () => {
    const error = await catchError(() => plainFormat.read('/nonexistent/migrations'));
    expect(error.code).toBe('PATH_NOT_FOUND');
    expect(error.message).toBe('/nonexistent/migrations: no such migrations directory');
  });

  it('refuses a migration file that is not UTF-8', async () => {
    const dir = tempDir({ '001_latin1.sql': Buffer.from([0x53, 0x45, 0x4c, 0xe9, 0x0a]) });
    expect((await catchError(() => plainFormat.read(dir))).code).toBe('FILE_NOT_UTF8');
  });

  it('detects folders of numbered SQL files, weakly (score 1)', () => {
    expect(plainFormat.detectFolder(FIXTURE)).toBe(1);
    expect(plainFormat.detectFolder(tempDir({ 'README.md': 'x', 'schema.sql': 'SELECT 1;' }))).toBe(0);
    expect(plainFormat.detectFolder('/nonexistent/migrations')).toBe(0);
  });
});

describe('plain: the pgwarden.schema_migrations ledger', () => {
  it('is missing until ensure creates schema and table (idempotently), then detect finds it', async () => {
    const client = await db.connect();
    const ctx: HistoryContext = { client };
    expect(await plainFormat.history.detect(ctx)).toBe(false);
    expect(await plainFormat.history.read(ctx)).toEqual({
      exists: false,
      table: 'pgwarden.schema_migrations',
      applied: [],
    });
    await plainFormat.history.ensure(ctx);
    await plainFormat.history.ensure(ctx);
    expect(await tableShape(client, 'pgwarden.schema_migrations')).toEqual([
      'id text not null',
      'checksum text not null',
      'applied_at timestamp with time zone not null default now()',
      'duration_ms integer',
    ]);
    expect(await tableConstraints(client, 'pgwarden.schema_migrations')).toEqual([
      'schema_migrations_pkey p PRIMARY KEY (id)',
    ]);
    expect(await plainFormat.history.detect(ctx)).toBe(true);
  });

  it('records applied migrations with checksum and duration, reads them in order, forgets rolled-back ones', async () => {
    const client = await db.connect();
    const table = 'ledger_test.applied';
    const ctx: HistoryContext = { client, table };
    const migrations = plainFormat.read(FIXTURE);
    await client.query('CREATE SCHEMA app_a');
    await client.query('SET search_path TO app_a');
    await applyWithAdapter(client, plainFormat, migrations, {
      table,
      outsideTransaction: new Set(['004_index_tasks_project']),
    });
    const rows = await client.query(
      `SELECT id, checksum, duration_ms, applied_at FROM ledger_test.applied ORDER BY id`,
    );
    expect(rows.rows.map((r) => [r.id, r.checksum, r.duration_ms])).toEqual(
      migrations.map((m) => [m.id, m.checksum, 1]),
    );
    expect(rows.rows.every((r) => r.applied_at instanceof Date)).toBe(true);

    const state = await plainFormat.history.read(ctx);
    expect(state.exists).toBe(true);
    expect(state.table).toBe('ledger_test.applied');
    expect(state.applied.map((r) => [r.id, r.checksum, r.state])).toEqual(
      migrations.map((m) => [m.id, m.checksum, 'applied']),
    );

    const tables = await client.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'app_a' ORDER BY 1`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['projects', 'tasks', 'users']);

    // Roll back 004 (DROP INDEX CONCURRENTLY cannot run in a transaction: run it alone).
    const index = migrations[3]!;
    await client.query(index.down!.text);
    await plainFormat.history.markRolledBack!(ctx, index, migrations[2]);
    expect((await plainFormat.history.read(ctx)).applied.map((r) => r.id)).toEqual([
      '001_create_users',
      '002_create_projects_and_tasks',
      '003_tasks_updated_at_trigger',
      '005_add_task_priority',
    ]);
    await rollBackWithAdapter(client, plainFormat, migrations[2]!, migrations[1], { table });
    const left = await client.query(
      `SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'set_updated_at'`,
    );
    expect(left.rows[0].n).toBe(0);
    await client.query('RESET search_path');
  });

  it('puts an unqualified configured table into the pgwarden schema', async () => {
    const client = await db.connect();
    await plainFormat.history.ensure({ client, table: 'other_ledger' });
    const found = await client.query(`SELECT to_regclass('pgwarden.other_ledger') IS NOT NULL AS found`);
    expect(found.rows[0].found).toBe(true);
  });

  it('compares checksums exactly (the stored one is pgwarden’s own, CRLF-normalised)', () => {
    const [first] = plainFormat.read(FIXTURE);
    expect(plainFormat.history.nativeChecksum!(first!)).toBe(first!.checksum);
    expect(plainFormat.history.checksumMatches!(first!, first!.checksum)).toBe(true);
    expect(plainFormat.history.checksumMatches!(first!, checksumOf(`${first!.up.text}\n-- edited`))).toBe(
      false,
    );
    const crlf = plainFormat.read(tempDir({ '001_users.sql': first!.up.text.replace(/\n/g, '\r\n') }));
    expect(plainFormat.history.checksumMatches!(crlf[0]!, first!.checksum)).toBe(true);
  });

  it('does not take a table with other columns for its ledger', async () => {
    const client = await db.connect();
    await client.query('CREATE TABLE public.not_a_ledger (id text PRIMARY KEY, version text)');
    expect(await plainFormat.history.detect({ client, table: 'public.not_a_ledger' })).toBe(false);
  });

  it('refuses a configured table name with two dots', async () => {
    const client = await db.connect();
    const error = await catchError(() => plainFormat.history.read({ client, table: 'a.b.c' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('migrations.table: "a.b.c" is not a table name');
  });

  it('applies the fixture to a working schema (the function with a $$ body and the trigger work)', async () => {
    const client = await db.connect();
    await client.query('CREATE SCHEMA app_b');
    await client.query('SET search_path TO app_b');
    await applyWithAdapter(client, plainFormat, plainFormat.read(FIXTURE), {
      table: 'app_b_ledger',
      outsideTransaction: new Set(['004_index_tasks_project']),
    });
    await client.query(`INSERT INTO users (email, display_name) VALUES ('ada@example.org', 'Ada')`);
    await client.query(`INSERT INTO projects (owner_id, name) SELECT id, 'Launch' FROM users`);
    await client.query(
      `INSERT INTO tasks (project_id, title, updated_at) SELECT id, 'Write docs', '2000-01-01' FROM projects`,
    );
    await client.query(`UPDATE tasks SET done = true`);
    const task = await client.query(`SELECT updated_at > '2000-01-02' AS touched, priority FROM tasks`);
    expect(task.rows).toEqual([{ touched: true, priority: 0 }]);
    const stray = await client.query(`SELECT to_regclass('public.tasks') IS NULL AS none`);
    expect(stray.rows[0].none).toBe(true);
    await client.query('RESET search_path');
  });
});
