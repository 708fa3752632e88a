/**
 * Faults: no child outlives pgwarden. `pgwarden backup create` is killed with SIGKILL (no handler
 * runs, nothing is cleaned up by pgwarden itself) while pg_dump streams a big table, and while
 * pg_dump sits silent waiting for a table lock; `pgwarden deploy` during its pre-deploy backup. Within seconds no pg_dump and no child guard is
 * left, no pgwarden session is left on the server, and a migration's `LOCK TABLE … ACCESS
 * EXCLUSIVE` with a short lock_timeout gets its lock: nothing still holds the dump's locks.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgwardenProcess } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import {
  childGuards,
  descendantsOf,
  isRunning,
  type ProcessInfo,
  processesOf,
  sessionsOn,
  sql,
  useSharedServer,
  waitFor,
} from './support.js';

const own = useSharedServer();
let db: { name: string; url: string };

beforeAll(async () => {
  db = await own.createDatabase();
  // `big` first (pg_dump locks tables in OID order): 600 rows of ~10 MB of text each, stored
  // small (TOAST compresses them to ~23 MB), so pg_dump streams 6 GB of COPY text — half a minute
  // or more on an idle machine, the dump on today's main outlives the test's 10 s window by far —
  // while the table takes seconds to make
  await sql(db.url, 'CREATE TABLE big (id int PRIMARY KEY, payload text)');
  await sql(db.url, 'ALTER TABLE big ALTER COLUMN payload SET COMPRESSION lz4').catch(() => undefined);
  await sql(db.url, `INSERT INTO big SELECT g, repeat(md5(g::text), 300000) FROM generate_series(1, 600) g`);
  await sql(db.url, 'CREATE TABLE zz_blocker (x int)');
}, 300_000);

const blockers: pg.Client[] = [];
afterAll(async () => {
  for (const client of blockers) await client.end().catch(() => undefined);
});

/** The program name of a process (argv[0]'s base name), or the guard's mark. */
function what(p: ProcessInfo): string {
  if (p.argv.includes('pgwarden-child-guard')) return 'child guard';
  return (p.argv[0] ?? '').split('/').pop() ?? '';
}

/** A migration's lock: true when ACCESS EXCLUSIVE on `big` is granted within 500 ms. */
async function migrationGetsLock(): Promise<boolean> {
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`BEGIN; SET LOCAL lock_timeout = '500ms'; LOCK TABLE big IN ACCESS EXCLUSIVE MODE`);
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The size of a file, or of the files of a directory archive. */
function bytesUnder(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((n, name) => n + statSync(join(path, name)).size, 0);
}

/** Waits until pg_dump (a descendant of `pid`) streams table data into `dir`; the descendants then. */
function streaming(pid: number, dir: string): Promise<ProcessInfo[]> {
  return waitFor(
    'pg_dump to be streaming the table',
    () => {
      const partial = existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith('.partial')) : undefined;
      const size = partial ? bytesUnder(join(dir, partial)) : 0;
      const found = descendantsOf(pid);
      return size > 256 * 1024 && found.some((p) => what(p) === 'pg_dump') ? found : undefined;
    },
    120_000,
  );
}

/** kill -9 of pgwarden, then: its children end, its sessions end, the dump's locks are gone. */
async function killAndCheck(pid: number, children: ProcessInfo[], dir: string) {
  process.kill(pid, 'SIGKILL');
  const left = await waitFor(
    'pg_dump and the child guard to end after pgwarden was killed',
    () => children.every((p) => !isRunning(p.pid)),
    10_000,
  ).catch(() => children.filter((p) => isRunning(p.pid)).map((p) => `${what(p)} (pid ${p.pid})`));
  expect(left, 'processes that outlived pgwarden').toBe(true);
  // and nothing anywhere on the machine still works on this database
  const strays = [...processesOf(['pg_dump']), ...childGuards()].filter((p) => p.cmdline.includes(db.name));
  expect(strays.map((p) => `${what(p)} (pid ${p.pid})`)).toEqual([]);
  await waitFor(
    'no pgwarden session on the server',
    async () =>
      (await sessionsOn(own.url, db.name)).filter((s) => s.application_name.startsWith('pgwarden')).length ===
      0,
    10_000,
  );
  expect(await migrationGetsLock()).toBe(true);
  // nothing was published: at most the unfinished .partial, which prune removes after a day
  expect(readdirSync(dir).filter((n) => !n.endsWith('.partial'))).toEqual([]);
}

describe('kill -9 of pgwarden backup create', () => {
  it.each([
    ['custom format, streamed through pgwarden', []],
    ['directory format with --jobs 2, written by pg_dump', ['--format', 'directory', '--jobs', '2']],
  ])(
    'in the middle of the dump of a big table (%s): pg_dump ends with it and releases its locks',
    async (_, extra) => {
      const dir = join(tempDir(), 'backups');
      const { child, done } = pgwardenProcess(['backup', 'create', '--backup-dir', dir, ...extra], {
        env: { DATABASE_URL: db.url },
      });
      const pid = child.pid!;
      // pg_dump is running and the archive is growing: the dump is in the table's data
      const children = await streaming(pid, dir);
      expect(children.map(what)).toContain('pg_dump');
      await killAndCheck(pid, children, dir);
      expect((await done).code).toBe(null); // it was killed
    },
    180_000,
  );

  it('of pgwarden deploy during its pre-deploy backup: the same, and no migration ran', async () => {
    const project = tempDir({ 'migrations/001_add.sql': 'ALTER TABLE big ADD COLUMN note text;\n' });
    const dir = join(project, 'backups');
    const { child, done } = pgwardenProcess(['deploy', '--format', 'plain', '--', 'true'], {
      cwd: project,
      env: { DATABASE_URL: db.url },
    });
    const pid = child.pid!;
    const children = await streaming(pid, dir);
    await killAndCheck(pid, children, dir);
    expect((await done).code).toBe(null);
    const columns = await sql(db.url, `SELECT 1 FROM information_schema.columns WHERE column_name = 'note'`);
    expect(columns).toEqual([]);
  }, 180_000);

  it('while pg_dump waits silently for a lock: the guard ends it, the server ends the sessions', async () => {
    const blocker = new pg.Client({ connectionString: db.url, application_name: 'fault-test ddl' });
    blockers.push(blocker);
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE zz_blocker IN ACCESS EXCLUSIVE MODE');
    const dir = join(tempDir(), 'backups');
    const { child, done } = pgwardenProcess(
      ['backup', 'create', '--backup-dir', dir, '--lock-wait-timeout', '5min'],
      { env: { DATABASE_URL: db.url } },
    );
    const pid = child.pid!;
    // pg_dump has locked `big` and waits for `zz_blocker`: it writes nothing meanwhile
    await waitFor(
      'pg_dump to wait for the lock on zz_blocker',
      async () =>
        (
          await sql(
            db.url,
            `SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
              WHERE a.application_name = 'pgwarden' AND l.relation = 'zz_blocker'::regclass`,
          )
        ).length > 0,
      60_000,
    );
    const children = descendantsOf(pid);
    expect(children.map(what)).toContain('pg_dump');
    expect(await migrationGetsLock()).toBe(false); // the dump holds `big` now
    await killAndCheck(pid, children, dir);
    expect((await done).code).toBe(null);
    await blocker.query('ROLLBACK');
  }, 180_000);
});
