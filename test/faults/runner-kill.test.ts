/**
 * Fault: kill -9 of the `pgwarden migrate` process at three points of a run — inside a migration's
 * transaction, during a CREATE INDEX CONCURRENTLY of a migration run statement by statement, and
 * between two migrations (the first committed, the second not begun) — then a rerun. The server
 * ends the orphaned sessions (the statement in flight is cancelled and rolled back); the rerun
 * completes; the history is consistent and nothing ran twice (the balances show one `* 100`).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ensureLedger } from '../../src/migrate/ledger.js';
import { pgwarden } from '../support/cli.js';
import {
  balances,
  formatFixture,
  GATE_SQL,
  jsonOf,
  migrateArgs,
  openGate,
  seed,
  startCli,
  waitForGone,
  waitForQuery,
} from './runner-support.js';
import { sql, useOwnCluster } from './support.js';

const own = useOwnCluster();

/** A session of the test that stays open (a transaction holding a lock or a snapshot). */
async function session(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'fault-test holder' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function ledger(url: string): Promise<void> {
  const client = await session(url);
  try {
    await ensureLedger(client);
  } finally {
    await client.end();
  }
}

describe('kill -9 of migrate, then a rerun', () => {
  it('inside a migration transaction: rolled back by the server; the rerun applies it once', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    const fixture = formatFixture('node-pg-migrate', [
      { name: 'first', sql: 'CREATE TABLE first (id int);' },
      { name: 'multiply', sql: `UPDATE accounts SET balance = balance * 100;\n${GATE_SQL}` },
      { name: 'third', sql: 'CREATE TABLE third (id int);' },
    ]);
    const run = startCli(migrateArgs(fixture, url), fixture.cwd);
    await waitForQuery(own.url, name, 'pgwarden migrate', 'WHILE (SELECT hold FROM gate)');
    run.child.kill('SIGKILL');
    await run.done;
    await waitForGone(own.url, name, 'pgwarden migrate');
    expect(await balances(url)).toEqual([1, 2, 3]);
    expect(await fixture.history(url)).toEqual([fixture.ids[0]]);

    await openGate(url);
    const again = await pgwarden(migrateArgs(fixture, url), { cwd: fixture.cwd });
    expect(again.code).toBe(0);
    expect(jsonOf(again).applied.map((m: { id: string }) => m.id)).toEqual(fixture.ids.slice(1));
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
  });

  it('during a CREATE INDEX CONCURRENTLY of a migration run statement by statement: the rerun resumes, rebuilds the index, runs nothing twice', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    const fixture = formatFixture('node-pg-migrate', [
      {
        name: 'indexed',
        sql: 'UPDATE accounts SET balance = balance * 100;\nCREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\nCREATE TABLE after_index (id int);',
      },
    ]);
    // an open snapshot makes the concurrent build wait, so it can be caught running
    const holder = await session(url);
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await holder.query('SELECT 1');
    const run = startCli(migrateArgs(fixture, url), fixture.cwd);
    await waitForQuery(own.url, name, 'pgwarden migrate', 'CREATE INDEX CONCURRENTLY');
    run.child.kill('SIGKILL');
    await run.done;
    await waitForGone(own.url, name, 'pgwarden migrate');
    await holder.query('COMMIT');
    await holder.end();
    expect(await balances(url)).toEqual([100, 200, 300]);
    const [left] = await sql(
      url,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('accounts_balance_idx')`,
    );
    expect(left).toEqual({ indisvalid: false });
    expect(await fixture.history(url)).toEqual([]);

    const again = await pgwarden(migrateArgs(fixture, url), { cwd: fixture.cwd });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('dropped public.accounts_balance_idx, an INVALID index');
    expect(jsonOf(again).applied[0]).toMatchObject({ id: fixture.ids[0], resumedFrom: 1 });
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
    const [built] = await sql(
      url,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('accounts_balance_idx')`,
    );
    expect(built).toEqual({ indisvalid: true });
    expect(await sql(url, `SELECT to_regclass('after_index')::text AS t`)).toEqual([{ t: 'after_index' }]);
  });

  it('between two migrations (the first committed, its event not yet written): the rerun runs only the second', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    await ledger(url);
    const fixture = formatFixture('node-pg-migrate', [
      { name: 'multiply', sql: 'UPDATE accounts SET balance = balance * 100;' },
      { name: 'second', sql: 'CREATE TABLE second (id int);' },
    ]);
    // the runner writes pgwarden.events right after a migration commits: hold it there
    const holder = await session(url);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE pgwarden.events IN EXCLUSIVE MODE');
    const run = startCli(migrateArgs(fixture, url), fixture.cwd);
    await waitForQuery(own.url, name, 'pgwarden migrate', 'INSERT INTO pgwarden.events');
    run.child.kill('SIGKILL');
    await run.done;
    await waitForGone(own.url, name, 'pgwarden migrate');
    await holder.query('ROLLBACK');
    await holder.end();
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual([fixture.ids[0]]);

    const again = await pgwarden(migrateArgs(fixture, url), { cwd: fixture.cwd });
    expect(again.code).toBe(0);
    expect(jsonOf(again).applied.map((m: { id: string }) => m.id)).toEqual([fixture.ids[1]]);
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
  });
});
