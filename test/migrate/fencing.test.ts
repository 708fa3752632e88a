/**
 * The runner's fencing and its own transaction ids, in-process on a real server: a migration
 * another run recorded while this run waited is skipped (transactional, statement by statement,
 * and through golang-migrate's high-water mark); every row the runner writes carries one of the
 * transaction ids it reports, also after a failure; a statement of a script without transactions
 * runs in a transaction of its own (or alone when PostgreSQL refuses that).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../src/migrate/checksum.js';
import { PGWARDEN_APPLY_KEY } from '../../src/migrate/lock.js';
import {
  type LockedSession,
  locked,
  type MigrateEvent,
  type MigrateOptions,
  migrate,
  migrateLocked,
} from '../../src/migrate/migrate.js';
import { sqlOn as query, useFreshDatabases } from '../support/database.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

async function seeded(): Promise<string> {
  const { url } = await freshDatabase();
  await query(
    url,
    `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
     INSERT INTO accounts VALUES (1, 1), (2, 2), (3, 3);`,
  );
  return url;
}

const options = (
  dir: string,
  url: string,
  format: string,
  extra: Partial<MigrateOptions> = {},
): MigrateOptions => ({
  databaseUrl: url,
  cwd: dir,
  dir,
  format,
  allowUncommitted: true,
  ...extra,
});

/** xmin (32 bits) of every row of `table`. */
async function xmins(url: string, table: string): Promise<string[]> {
  return (await query<{ x: string }>(url, `SELECT xmin::text AS x FROM ${table}`)).map((r) => r.x);
}

const low32 = (ids: readonly string[]) => ids.map((id) => String(BigInt(id) % 2n ** 32n));

/**
 * Runs `migrate` while the test plays another run: it holds the apply lock from the start; when
 * the runner reports that it waits for it, `meanwhile` records what the other run applied, and
 * the lock is released.
 */
async function migrateWhileAnotherRunApplies(
  opts: MigrateOptions,
  url: string,
  meanwhile: () => Promise<unknown>,
) {
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    await other.query(`SELECT pg_advisory_lock(${PGWARDEN_APPLY_KEY})`);
    let fired: Promise<unknown> | undefined;
    const events: MigrateEvent[] = [];
    const result = await migrate({
      ...opts,
      onEvent: (event) => {
        events.push(event);
        if (!fired && event.type === 'apply-wait')
          fired = meanwhile().finally(() => other.query(`SELECT pg_advisory_unlock(${PGWARDEN_APPLY_KEY})`));
      },
    });
    await fired;
    return { result, events };
  } finally {
    await other.end();
  }
}

describe('fencing: a migration recorded by another run meanwhile is skipped', () => {
  it('transactional (plain): waits for the apply lock, then skips it with an event; its SQL is not run', async () => {
    const url = await seeded();
    const files = {
      '001_first.sql': 'CREATE TABLE first (id int);\n',
      '002_table.sql': 'CREATE TABLE second (id int);\n',
      '003_after.sql': 'CREATE TABLE third (id int);\n',
    };
    const dir = tempDir(files);
    const { result, events } = await migrateWhileAnotherRunApplies(options(dir, url, 'plain'), url, () =>
      query(
        url,
        `INSERT INTO pgwarden.schema_migrations (id, checksum) VALUES ('002_table', '${checksumOf(files['002_table.sql'])}')`,
      ),
    );
    expect(result.applied.map((m) => m.id)).toEqual(['001_first', '003_after']);
    expect(result.skipped).toEqual([{ id: '002_table', reason: 'applied by another run meanwhile' }]);
    expect(events).toContainEqual({
      type: 'migration-skipped',
      id: '002_table',
      reason: 'applied by another run meanwhile',
    });
    expect(events.some((e) => e.type === 'apply-wait' && e.id === '001_first')).toBe(true);
    expect(await query(url, `SELECT to_regclass('second') AS t`)).toEqual([{ t: null }]);
    expect(await query(url, `SELECT kind FROM pgwarden.events WHERE migration_id = '002_table'`)).toEqual([
      { kind: 'migration.skipped' },
    ]);
  });

  it('a history changed otherwise meanwhile (recorded with another checksum) stops the run; nothing of it runs', async () => {
    const url = await seeded();
    const dir = tempDir({ '001_table.sql': 'CREATE TABLE second (id int);\n' });
    const error = await rejection(
      migrateWhileAnotherRunApplies(options(dir, url, 'plain'), url, () =>
        query(
          url,
          `INSERT INTO pgwarden.schema_migrations (id, checksum) VALUES ('001_table', 'sha256:other')`,
        ),
      ),
    );
    expect(error.code).toBe('MIGRATIONS_INCONSISTENT');
    expect(error.message).toContain(
      '001_table.sql: another run changed its history meanwhile: it is now modified',
    );
    expect(await query(url, `SELECT to_regclass('second') AS t`)).toEqual([{ t: null }]);
  });

  it('statement by statement (node-pg-migrate): skipped before anything of it runs', async () => {
    const url = await seeded();
    const dir = tempDir({
      '1_first.sql': '-- Up Migration\nCREATE TABLE first (id int);\n',
      '2_index.sql':
        '-- Up Migration\nUPDATE accounts SET balance = balance * 100;\nCREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\n',
    });
    const { result } = await migrateWhileAnotherRunApplies(options(dir, url, 'node-pg-migrate'), url, () =>
      query(url, `INSERT INTO public.pgmigrations (name, run_on) VALUES ('2_index', now())`),
    );
    expect(result.applied.map((m) => m.id)).toEqual(['1_first']);
    expect(result.skipped.map((s) => s.id)).toEqual(['2_index']);
    expect(await query(url, 'SELECT balance FROM accounts ORDER BY id')).toEqual([
      { balance: '1' },
      { balance: '2' },
      { balance: '3' },
    ]);
    expect(await query(url, `SELECT to_regclass('accounts_balance_idx') AS t`)).toEqual([{ t: null }]);
    expect(
      await query(url, `SELECT count(*)::int AS n FROM pgwarden.migrations WHERE id = '2_index'`),
    ).toEqual([{ n: 0 }]);
  });

  it("golang-migrate: the other run's version covers the migrations below it (the tool's high-water mark)", async () => {
    const url = await seeded();
    const dir = tempDir({
      '1_first.up.sql': 'CREATE TABLE first (id int);\n',
      '2_second.up.sql': 'CREATE TABLE second (id int);\n',
      '3_third.up.sql': 'CREATE TABLE third (id int);\n',
    });
    const { result } = await migrateWhileAnotherRunApplies(options(dir, url, 'golang-migrate'), url, () =>
      query(url, 'INSERT INTO schema_migrations VALUES (2, false)'),
    );
    expect(result.skipped.map((s) => s.id)).toEqual(['1', '2']);
    expect(result.applied.map((m) => m.id)).toEqual(['3']);
    expect(await query(url, `SELECT to_regclass('first') AS a, to_regclass('second') AS b`)).toEqual([
      { a: null, b: null },
    ]);
    expect(await query(url, 'SELECT version::int, dirty FROM schema_migrations')).toEqual([
      { version: 3, dirty: false },
    ]);
  });
});

describe("the runner's transaction ids", () => {
  it('every row the run wrote carries one of the ids it reports (migration SQL, history, ledger, events)', async () => {
    const url = await seeded();
    const dir = tempDir({
      '001_multiply.sql': 'UPDATE accounts SET balance = balance * 100;\n',
      '002_segments.sql':
        'UPDATE accounts SET balance = balance + 1 WHERE id = 1;\nCREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\nUPDATE accounts SET balance = balance + 1 WHERE id = 2;\n',
    });
    const result = await migrate(options(dir, url, 'plain'));
    const ids = low32(result.transactionIds);
    expect(new Set(ids).size).toBe(ids.length);
    for (const table of [
      'accounts',
      'pgwarden.schema_migrations',
      'pgwarden.migrations',
      'pgwarden.events',
    ]) {
      const rows = await xmins(url, table);
      expect(rows.length, table).toBeGreaterThan(0);
      for (const xmin of rows) expect(ids, `${table} row written by ${xmin}`).toContain(xmin);
    }
    // the ids are the server's 64-bit (epoch-extended) ones
    const [now] = await query<{ id: string }>(url, 'SELECT txid_current()::text AS id');
    for (const id of result.transactionIds) expect(BigInt(id)).toBeLessThan(BigInt(now!.id));
  });

  it('are complete on the session when the run then fails', async () => {
    const url = await seeded();
    const dir = tempDir({
      '001_multiply.sql': 'UPDATE accounts SET balance = balance * 100;\n',
      '002_fails.sql': 'UPDATE accounts SET balance = balance / 0;\n',
    });
    let session: LockedSession | undefined;
    const opts = options(dir, url, 'plain');
    const error = await rejection(
      locked(opts, 'pgwarden test', (s) => {
        session = s;
        return migrateLocked(s, opts);
      }),
    );
    expect(error.code).toBe('MIGRATION_FAILED');
    const ids = low32(session!.transactionIds);
    for (const xmin of await xmins(url, 'accounts')) expect(ids).toContain(xmin);
    for (const xmin of await xmins(url, 'pgwarden.events')) expect(ids).toContain(xmin);
  });

  it('a script without transactions (dbmate transaction:false): each statement PostgreSQL accepts in a transaction runs in its own, with its id; the others alone', async () => {
    const url = await seeded();
    const dir = tempDir({
      '20240101000001_no_tx.sql':
        '-- migrate:up transaction:false\nUPDATE accounts SET balance = balance * 100;\nCREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\nDROP DATABASE IF EXISTS pgwarden_never_created;\nUPDATE accounts SET balance = balance + 1 WHERE id = 3;\n-- migrate:down\n',
    });
    const result = await migrate(options(dir, url, 'dbmate'));
    expect(result.applied[0]).toMatchObject({ mode: 'statements', statements: 4 });
    const ids = low32(result.transactionIds);
    const rows = await query<{ id: number; balance: string; x: string }>(
      url,
      'SELECT id, balance, xmin::text AS x FROM accounts ORDER BY id',
    );
    expect(rows.map((r) => Number(r.balance))).toEqual([100, 200, 301]);
    for (const row of rows) expect(ids).toContain(row.x);
    // the two UPDATEs ran in two transactions
    expect(rows[0]!.x).not.toBe(rows[2]!.x);
    for (const xmin of await xmins(url, 'schema_migrations')) expect(ids).toContain(xmin);
  });
});
