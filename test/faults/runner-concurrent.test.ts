/**
 * Faults of concurrency: two `pgwarden migrate` processes started at the same instant, in every
 * format (each migration applied exactly once, one run does the work, the other finds nothing
 * left), and a deadlock with an application transaction, which the runner retries like a lock
 * timeout (before, a deadlock failed the migration).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import {
  ALL_FORMATS,
  balances,
  formatFixture,
  jsonOf,
  migrateArgs,
  seed,
  startCli,
} from './runner-support.js';
import { sql, useSharedServer, waitFor } from './support.js';

const own = useSharedServer();

describe.each(ALL_FORMATS)('%s: two runners started at the same instant', (format) => {
  it('apply every migration exactly once; one does the work, the other finds nothing left', async () => {
    const { url } = await own.createDatabase();
    await seed(url);
    const fixture = formatFixture(format, [
      { name: 'multiply', sql: 'UPDATE accounts SET balance = balance * 100;\nSELECT pg_sleep(0.3);' },
      { name: 'second', sql: 'CREATE TABLE second (id int);' },
      { name: 'third', sql: 'INSERT INTO second VALUES (1);' },
    ]);
    const args = migrateArgs(fixture, url);
    const [one, two] = await Promise.all([
      pgwarden(args, { cwd: fixture.cwd }),
      pgwarden(args, { cwd: fixture.cwd }),
    ]);
    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
    expect(await sql(url, 'SELECT id FROM second')).toEqual([{ id: 1 }]);
    expect([one.code, two.code]).toEqual([0, 0]);
    const applied = [jsonOf(one), jsonOf(two)].map((r) => r.applied.length).sort();
    expect(applied).toEqual([0, 3]);
  });
});

describe('a deadlock with an application transaction', () => {
  it('is retried like a lock timeout, with its own wording, and the migration is applied once', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    await sql(
      url,
      'CREATE TABLE ledger (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ledger VALUES (1, 0)',
    );
    // the runner's session finds the deadlock (after 2 s of waiting), the app's never does
    await sql(own.url, `ALTER DATABASE ${name} SET deadlock_timeout = '2s'`);
    const app = new pg.Client({ connectionString: url, application_name: 'fault-test app' });
    app.on('error', () => undefined);
    await app.connect();
    await app.query(`BEGIN; SET LOCAL deadlock_timeout = '10min'`);
    await app.query('UPDATE ledger SET v = v + 10 WHERE id = 1');

    const fixture = formatFixture('plain', [
      {
        name: 'both',
        sql: 'UPDATE accounts SET balance = balance * 100;\nUPDATE ledger SET v = v + 1 WHERE id = 1;',
      },
    ]);
    const run = startCli(migrateArgs(fixture, url, ['--lock-timeout', '30s']), fixture.cwd);
    // the runner holds the accounts rows and waits for the app's ledger row …
    await waitFor('the runner to wait for the ledger row', async () => {
      const rows = await sql(
        own.url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgwarden migrate'
            AND wait_event_type = 'Lock' AND strpos(query, 'UPDATE ledger') > 0`,
        [name],
      );
      return rows.length > 0;
    });
    // … and the app now waits for an accounts row: a deadlock, which PostgreSQL breaks in the runner
    await app.query('UPDATE accounts SET balance = balance WHERE id = 1');
    await app.query('COMMIT');
    await app.end();
    const result = await run.done;

    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await sql(url, 'SELECT v FROM ledger')).toEqual([{ v: 11 }]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'deadlock (PostgreSQL ended this attempt to break it) at line 2; rolled back, retry 1',
    );
    expect(jsonOf(result).applied[0]).toMatchObject({ id: fixture.ids[0], retries: 1 });
    expect(await sql(url, `SELECT kind FROM pgwarden.events WHERE kind = 'migration.deadlock'`)).toEqual([
      { kind: 'migration.deadlock' },
    ]);
  });
});
