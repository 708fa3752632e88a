/**
 * Fault: kill -9 of `pgwarden migrate` after a CREATE INDEX CONCURRENTLY finished but before its
 * progress row was written (the row's INSERT is held back by a lock, then the process is killed).
 * The index is valid and complete; the rerun must count the statement as done (and say so), not
 * stop on "already exists", and must not run the statements before or after it twice.
 */
import { describe, expect, it } from 'vitest';
import {
  createLedger,
  expectRerunCompletes,
  formatFixture,
  killWhileHolding,
  migrateArgs,
  seed,
  startCli,
} from './runner-support.js';
import { sql, useSharedServer } from './support.js';

const own = useSharedServer();

describe('a concurrent index build that finished before its progress was recorded', () => {
  it('counts as done on the rerun (valid, same definition); the migration completes once', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    await createLedger(url);
    const fixture = formatFixture('plain', [
      {
        name: 'indexed',
        sql: 'CREATE INDEX CONCURRENTLY accounts_balance_idx ON accounts (balance);\nUPDATE accounts SET balance = balance * 100;',
      },
    ]);
    // reads of the progress go on; its INSERT after the build waits
    await killWhileHolding(
      own,
      name,
      url,
      ['BEGIN', 'LOCK TABLE pgwarden.statement_progress IN EXCLUSIVE MODE'],
      startCli(migrateArgs(fixture, url), fixture.cwd),
      'INSERT INTO pgwarden.statement_progress',
    );
    const [index] = await sql(
      url,
      `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('accounts_balance_idx')`,
    );
    expect(index).toEqual({ indisvalid: true });
    expect(await sql(url, 'SELECT count(*)::int AS n FROM pgwarden.statement_progress')).toEqual([{ n: 0 }]);

    const again = await expectRerunCompletes(fixture, url, fixture.ids);
    expect(again.stderr).not.toContain('already exists');
    expect(again.stderr).toContain(
      'public.accounts_balance_idx is already built, valid and with this definition',
    );
    const [event] = await sql(
      url,
      `SELECT detail->>'index' AS index FROM pgwarden.events WHERE kind = 'migration.index-already-built'`,
    );
    expect(event).toEqual({ index: 'public.accounts_balance_idx' });
  });
});
