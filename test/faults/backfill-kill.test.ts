/**
 * Fault: kill -9 in the middle of a batched backfill — of `pgwarden migrate` running a migration's
 * `-- pgwarden:backfill` UPDATE (in two formats with their own history tables), and of an ad hoc
 * `pgwarden backfill` — then the same command again. The UPDATE adds 1 to a counter, so a batch
 * done twice shows as 2 and a batch skipped as 0: after the rerun every row must be exactly 1, the
 * recorded progress must match the rows changed at the moment of the kill, and the migration is
 * recorded applied only once the whole range is done.
 */
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import {
  formatFixture,
  jsonOf,
  migrateArgs,
  type RunnerFormat,
  type RunningCli,
  startCli,
} from './runner-support.js';
import { sql, useSharedServer, waitFor } from './support.js';

const own = useSharedServer();
const ROWS = 3000;

async function seedCounters(url: string): Promise<void> {
  await sql(
    url,
    `CREATE TABLE items (id int PRIMARY KEY, counter int NOT NULL DEFAULT 0);
     INSERT INTO items (id) SELECT g FROM generate_series(1, ${ROWS}) g;`,
  );
}

async function counters(url: string): Promise<Record<string, number>> {
  const rows = await sql<{ counter: number; n: number }>(
    url,
    'SELECT counter, count(*)::int AS n FROM items GROUP BY counter ORDER BY counter',
  );
  return Object.fromEntries(rows.map((r) => [String(r.counter), r.n]));
}

/** kill -9 once the backfill has committed a few batches; returns when the server ended its sessions. */
async function killMidBackfill(run: RunningCli, url: string, database: string, application: string) {
  await waitFor(
    'a few committed batches',
    async () =>
      ((
        await sql<{ n: number }>(
          url,
          `SELECT rows_done::int AS n FROM pgwarden.backfills WHERE to_regclass('pgwarden.backfills') IS NOT NULL`,
        ).catch(() => [])
      )[0]?.n ?? 0) >= 400,
    60_000,
  );
  run.child.kill('SIGKILL');
  await run.done;
  await waitFor('the killed run’s sessions to end', async () => {
    const rows = await sql(
      own.url,
      'SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE $2',
      [database, `${application}%`],
    );
    return rows.length === 0;
  });
}

/** After the kill: each committed batch is recorded, nothing else changed, nothing done twice. */
async function expectCommittedBatchesOnly(url: string): Promise<number> {
  const [row] = await sql<{ done: number; finished: boolean }>(
    url,
    'SELECT rows_done::int AS done, finished_at IS NOT NULL AS finished FROM pgwarden.backfills',
  );
  expect(row!.finished).toBe(false);
  expect(row!.done).toBeGreaterThanOrEqual(400);
  expect(row!.done).toBeLessThan(ROWS);
  expect(await counters(url)).toEqual({ '0': ROWS - row!.done, '1': row!.done });
  return row!.done;
}

describe('kill -9 during a backfill, then the same command again', () => {
  for (const format of ['flyway', 'dbmate'] as RunnerFormat[]) {
    it(`migrate (${format}): the migration stays unrecorded; the rerun resumes after the last committed batch; every row once`, async () => {
      const { name, url } = await own.createDatabase();
      await seedCounters(url);
      const fixture = formatFixture(format, [
        {
          name: 'count',
          sql: 'ALTER TABLE items ADD COLUMN note text;\n-- pgwarden:backfill batch=100 sleep=60ms\nUPDATE items SET counter = counter + 1;\nCREATE TABLE after_backfill (id int);',
        },
      ]);
      const first = startCli(migrateArgs(fixture, url), fixture.cwd);
      await killMidBackfill(first, url, name, 'pgwarden migrate');
      await expectCommittedBatchesOnly(url);
      expect(await fixture.history(url)).toEqual([]);
      expect(await sql(url, `SELECT to_regclass('after_backfill') AS t`)).toEqual([{ t: null }]);

      const again = await pgwarden(migrateArgs(fixture, url), { cwd: fixture.cwd });
      expect(again.code, again.stderr).toBe(0);
      expect(jsonOf(again).applied.map((m: { id: string }) => m.id)).toEqual(fixture.ids);
      // with --json the backfill's progress is JSON lines on stderr (stdout holds the result)
      const start = again.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((e) => e.type === 'backfill-start');
      expect(start).toMatchObject({ resumed: true, rowsTotal: ROWS });
      expect(await counters(url)).toEqual({ '1': ROWS });
      expect(await fixture.history(url)).toEqual(fixture.expectedHistory);
      expect(await sql(url, `SELECT to_regclass('after_backfill') IS NOT NULL AS t`)).toEqual([{ t: true }]);
      // the progress row goes with the migration's last history write
      expect(await sql(url, 'SELECT count(*)::int AS n FROM pgwarden.backfills')).toEqual([{ n: 0 }]);
      const [event] = await sql(url, `SELECT detail FROM pgwarden.events WHERE kind = 'migration.backfill'`);
      expect(event!.detail).toMatchObject({ table: 'items', updated: expect.any(Number) });
    });
  }

  it('pgwarden backfill: the rerun resumes; every row once', async () => {
    const { name, url } = await own.createDatabase();
    await seedCounters(url);
    const args = [
      'backfill',
      '--database-url',
      url,
      '--table',
      'items',
      '--set',
      'counter = counter + 1',
      '--batch',
      '100',
      '--sleep',
      '60ms',
    ];
    const first = startCli(args, tempDir());
    await killMidBackfill(first, url, name, 'pgwarden backfill');
    const done = await expectCommittedBatchesOnly(url);

    const again = await pgwarden([...args, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const lines = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      type: 'backfill-start',
      resumed: true,
      rowsDone: done,
      rowsTotal: ROWS,
    });
    expect(lines.at(-1)).toMatchObject({ type: 'result', rowsDone: ROWS, alreadyDone: false });
    expect(await counters(url)).toEqual({ '1': ROWS });
  });
});
