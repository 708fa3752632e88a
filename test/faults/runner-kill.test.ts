/**
 * Fault: kill -9 of the `pgwarden migrate` process at three points of a run — inside a migration's
 * transaction, during a CREATE INDEX CONCURRENTLY of a migration run statement by statement, and
 * between two migrations (the first committed, the second not begun) — then a rerun. The server
 * ends the orphaned sessions (the statement in flight is cancelled and rolled back); the rerun
 * completes; the history is consistent and nothing ran twice (the balances show one `* 100`).
 */
import { describe, expect, it } from 'vitest';
import {
  balances,
  createLedger,
  expectRerunCompletes,
  formatFixture,
  GATE_SQL,
  gatedRun,
  jsonOf,
  killWhenRunning,
  killWhileHolding,
  migrateArgs,
  openGate,
  seed,
  startCli,
} from './runner-support.js';
import { sql, useSharedServer } from './support.js';

const own = useSharedServer();

describe('kill -9 of migrate, then a rerun', () => {
  it('inside a migration transaction: rolled back by the server; the rerun applies it once', async () => {
    const { name, url, fixture, first } = await gatedRun(own, 'node-pg-migrate', [
      { name: 'first', sql: 'CREATE TABLE first (id int);' },
      { name: 'multiply', sql: `UPDATE accounts SET balance = balance * 100;\n${GATE_SQL}` },
      { name: 'third', sql: 'CREATE TABLE third (id int);' },
    ]);
    await killWhenRunning(own, name, first, 'WHILE (SELECT hold FROM gate)');
    expect(await balances(url)).toEqual([1, 2, 3]);
    expect(await fixture.history(url)).toEqual([fixture.ids[0]]);

    await openGate(url);
    await expectRerunCompletes(fixture, url, fixture.ids.slice(1));
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
    await killWhileHolding(
      own,
      name,
      url,
      ['BEGIN ISOLATION LEVEL REPEATABLE READ', 'SELECT 1'],
      startCli(migrateArgs(fixture, url), fixture.cwd),
      'CREATE INDEX CONCURRENTLY',
    );
    expect(await balances(url)).toEqual([100, 200, 300]);
    const [left] = await sql(
      url,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('accounts_balance_idx')`,
    );
    expect(left).toEqual({ indisvalid: false });
    expect(await fixture.history(url)).toEqual([]);

    const again = await expectRerunCompletes(fixture, url, fixture.ids);
    expect(again.stderr).toContain('dropped public.accounts_balance_idx, an INVALID index');
    expect(jsonOf(again).applied[0]).toMatchObject({ resumedFrom: 1 });
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
    await createLedger(url);
    const fixture = formatFixture('node-pg-migrate', [
      { name: 'multiply', sql: 'UPDATE accounts SET balance = balance * 100;' },
      { name: 'second', sql: 'CREATE TABLE second (id int);' },
    ]);
    // the runner writes pgwarden.events right after a migration commits: hold it there
    await killWhileHolding(
      own,
      name,
      url,
      ['BEGIN', 'LOCK TABLE pgwarden.events IN EXCLUSIVE MODE'],
      startCli(migrateArgs(fixture, url), fixture.cwd),
      'INSERT INTO pgwarden.events',
    );
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual([fixture.ids[0]]);

    await expectRerunCompletes(fixture, url, fixture.ids.slice(1));
  });
});
