/**
 * Fault: kill -9 of `pgwarden migrate` after a CREATE INDEX CONCURRENTLY finished but before its
 * progress row was written (the row's INSERT is held back by a lock, then the process is killed).
 * The index is valid and complete; the rerun must count the statement as done (and say so), not
 * stop on "already exists", and must not run the statements before or after it twice.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ensureLedger } from '../../src/migrate/ledger.js';
import { pgwarden } from '../support/cli.js';
import {
  balances,
  formatFixture,
  jsonOf,
  migrateArgs,
  seed,
  startCli,
  waitForGone,
  waitForQuery,
} from './runner-support.js';
import { sql, useOwnCluster } from './support.js';

const own = useOwnCluster();

describe('a concurrent index build that finished before its progress was recorded', () => {
  it('counts as done on the rerun (valid, same definition); the migration completes once', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => undefined);
    await holder.connect();
    await ensureLedger(holder);
    const fixture = formatFixture('plain', [
      {
        name: 'indexed',
        sql: 'CREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\nUPDATE accounts SET balance = balance * 100;',
      },
    ]);
    // reads of the progress go on; its INSERT after the build waits
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE pgwarden.statement_progress IN EXCLUSIVE MODE');
    const run = startCli(migrateArgs(fixture, url), fixture.cwd);
    await waitForQuery(own.url, name, 'pgwarden migrate', 'INSERT INTO pgwarden.statement_progress');
    run.child.kill('SIGKILL');
    await run.done;
    await waitForGone(own.url, name, 'pgwarden migrate');
    await holder.query('ROLLBACK');
    await holder.end();
    const [index] = await sql(
      url,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('accounts_balance_idx')`,
    );
    expect(index).toEqual({ indisvalid: true });
    expect(await sql(url, 'SELECT count(*)::int AS n FROM pgwarden.statement_progress')).toEqual([{ n: 0 }]);

    const again = await pgwarden(migrateArgs(fixture, url), { cwd: fixture.cwd });
    expect(again.stderr).not.toContain('already exists');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(
      'public.accounts_balance_idx is already built, valid and with this definition',
    );
    expect(jsonOf(again).applied[0]).toMatchObject({ id: fixture.ids[0], mode: 'statements' });
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
    const [event] = await sql(
      url,
      `SELECT detail->>'index' AS index FROM pgwarden.events WHERE kind = 'migration.index-already-built'`,
    );
    expect(event).toEqual({ index: 'public.accounts_balance_idx' });
  });
});
