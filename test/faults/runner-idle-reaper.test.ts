/**
 * Fault: the server ends idle sessions (`idle_session_timeout = 1s` on the database, as a session
 * reaper would) while a migration runs longer than that, and a second runner starts meanwhile.
 * The migration lock must survive (its connection never idles and turns the timeout off), so the
 * second runner waits and then finds nothing to do; every migration is applied exactly once.
 */
import { describe, expect, it } from 'vitest';
import {
  balances,
  formatFixture,
  GATE_SQL,
  jsonOf,
  migrateArgs,
  openGate,
  type RunnerFormat,
  seed,
  startCli,
  waitForQuery,
} from './runner-support.js';
import { sql, useSharedServer, waitFor } from './support.js';

const own = useSharedServer();

describe.each<RunnerFormat>(['plain', 'node-pg-migrate', 'flyway'])('%s', (format) => {
  it('idle_session_timeout shorter than a migration, a second runner started: the lock holds, each migration applied once', async () => {
    const { name, url } = await own.createDatabase();
    await seed(url);
    await sql(own.url, `ALTER DATABASE ${name} SET idle_session_timeout = '1s'`);
    const fixture = formatFixture(format, [
      { name: 'multiply', sql: `UPDATE accounts SET balance = balance * 100;\n${GATE_SQL}` },
      { name: 'second', sql: 'CREATE TABLE second (id int);' },
    ]);
    const first = startCli(migrateArgs(fixture, url), fixture.cwd);
    await waitForQuery(own.url, name, 'pgwarden migrate', 'WHILE (SELECT hold FROM gate)');
    // long enough for the reaper: the lock session is either gone or has outlived the timeout
    await waitFor('the lock session to be reaped or to outlive idle_session_timeout', async () => {
      const rows = await sql<{ old: boolean }>(
        own.url,
        `SELECT backend_start < now() - interval '3 s' AS old FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'pgwarden migrate (lock)'`,
        [name],
      );
      return rows.length === 0 || rows[0]!.old;
    });

    const second = startCli(migrateArgs(fixture, url), fixture.cwd);
    await waitFor(
      'the second runner to wait for the lock (or, without it, to start the first migration)',
      () =>
        second.stderr().includes('waiting for another deploy to finish') ||
        second.stderr().includes(`→ ${fixture.ids[0]} `),
    );
    await openGate(url);
    const [one, two] = await Promise.all([first.done, second.done]);

    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
    expect(one.code).toBe(0);
    expect(jsonOf(one).applied.map((m: { id: string }) => m.id)).toEqual(fixture.ids);
    expect(two.code).toBe(0);
    expect(jsonOf(two).applied).toEqual([]);
  });
});
