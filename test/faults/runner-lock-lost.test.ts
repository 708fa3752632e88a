/**
 * Fault: the migration lock's connection is terminated (`pg_terminate_backend`) while the first
 * runner is inside a migration, and a second runner starts meanwhile and reaches that same
 * migration while the first one's transaction is still open. The first runner must stop with
 * LOCK_LOST (exit 3) and say what it did not apply; the second applies everything; every
 * migration is applied exactly once: `UPDATE accounts SET balance = balance * 100` once (the
 * balances), one history row per migration in the format's own table.
 */
import { describe, expect, it } from 'vitest';
import {
  balances,
  GATE_SQL,
  gatedRun,
  jsonOf,
  migrateArgs,
  openGate,
  type RunnerFormat,
  startCli,
} from './runner-support.js';
import { sql, useSharedServer, waitFor } from './support.js';

const own = useSharedServer();

describe.each<RunnerFormat>(['plain', 'node-pg-migrate', 'flyway'])('%s', (format) => {
  it('lock session terminated mid-migration, a second runner started: LOCK_LOST (exit 3), each migration applied once', async () => {
    const { name, url, fixture, first } = await gatedRun(own, format, [
      { name: 'multiply', sql: `UPDATE accounts SET balance = balance * 100;\n${GATE_SQL}` },
      { name: 'second', sql: 'CREATE TABLE second (id int);' },
      { name: 'third', sql: 'INSERT INTO second VALUES (1);' },
    ]);
    const [lock] = await sql<{ pid: number }>(
      own.url,
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgwarden migrate (lock)'`,
      [name],
    );
    expect(lock).toBeDefined();
    await sql(own.url, 'SELECT pg_terminate_backend($1)', [lock!.pid]);

    const second = startCli(migrateArgs(fixture, url), fixture.cwd);
    // the second runner has read the history while the first one's transaction is open
    await waitFor('the second runner to start the first migration', () =>
      second.stderr().includes(`→ ${fixture.ids[0]} `),
    );
    await openGate(url);
    const [one, two] = await Promise.all([first.done, second.done]);

    expect(await balances(url)).toEqual([100, 200, 300]);
    expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
    expect(await sql(url, 'SELECT id FROM second')).toEqual([{ id: 1 }]);

    expect(one.code).toBe(3);
    expect(jsonOf(one).error.code).toBe('LOCK_LOST');
    expect(one.stderr).toContain('the migration lock was lost');
    expect(one.stderr).toContain('applied by this run: none');
    expect(one.stderr).toContain(
      `not applied: ${fixture.ids[0]} (rolled back), ${fixture.ids[1]}, ${fixture.ids[2]}`,
    );
    expect(two.code).toBe(0);
    const result = jsonOf(two);
    expect(result.applied.map((m: { id: string }) => m.id)).toEqual(fixture.ids);
    expect(two.stderr).toContain('waiting: another run is applying a migration');
    // the second runner's own transactions wrote the balances
    const [row] = await sql<{ xmin: string }>(url, 'SELECT xmin::text FROM accounts WHERE id = 1');
    expect(result.transactionIds.map((id: string) => String(BigInt(id) % 2n ** 32n))).toContain(row!.xmin);
  });
});
