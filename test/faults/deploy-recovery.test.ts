/**
 * Faults around deploy's automatic recovery of a partly applied migration (a CREATE INDEX
 * CONCURRENTLY that stays, then a failure): `if-no-writes` decides from row versions read with
 * writes blocked, never from the lagging statistics — a row written right after the backup, whose
 * statistics are not yet flushed, keeps the restore away —; an application writing throughout a
 * deploy with `always` loses no acknowledged write; SIGTERM during the migration never starts a
 * restore.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgwarden, pgwardenProcess } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { idsInArchive, sql, startWriter, useSharedServer, waitFor } from './support.js';

const own = useSharedServer();

const USERS =
  'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE events (id bigint PRIMARY KEY);\n';
/** Stays applied (run alone), then waits so the test can act, then fails. */
const PARTIAL = (wait: number) =>
  `CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nSELECT pg_sleep(${wait});\nSELECT 1/0;\n`;

async function deployedProject() {
  const db = await own.createDatabase();
  const dir = tempDir({ 'migrations/001_users.sql': USERS });
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  const first = await pgwarden(['deploy', '--format', 'plain'], { cwd: dir, env: { DATABASE_URL: db.url } });
  expect(first.code, first.stderr).toBe(0);
  await sql(db.url, `INSERT INTO users SELECT g, 'u' || g || '@x.org' FROM generate_series(1, 1000) g`);
  return { ...db, dir };
}

const indexExists = async (url: string) =>
  (await sql(url, `SELECT 1 FROM pg_indexes WHERE indexname = 'users_email_idx'`)).length === 1;

/** Waits until the deploy's migration sits in its pg_sleep (the index is built by then). */
const inTheSleep = (url: string) =>
  waitFor(
    'the migration to reach its pg_sleep',
    async () =>
      (
        await sql(
          url,
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep(%' AND pid <> pg_backend_pid()`,
        )
      ).length > 0,
  );

describe('deploy recovery under faults', () => {
  it('if-no-writes: a row written right after the backup (statistics not yet flushed) is proof enough not to restore', async () => {
    const p = await deployedProject();
    writeFileSync(join(p.dir, 'migrations', '002_partial.sql'), PARTIAL(3));
    // the app's session reports its statistics at most once a second: a read, then at once a write,
    // leaves the write invisible in pg_stat_user_tables for up to 10 s
    const app = new pg.Client({ connectionString: p.url });
    app.on('error', () => undefined); // the recovery ends every session before it decides
    await app.connect();
    try {
      const run = pgwardenProcess(['deploy', '--format', 'plain'], {
        cwd: p.dir,
        env: { DATABASE_URL: p.url },
      });
      await inTheSleep(p.url);
      await app.query('SELECT count(*) FROM users');
      await app.query(`INSERT INTO users VALUES (5001, 'written-just-after-the-backup@x.org')`);
      const result = await run.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not restored: it cannot be proven/);
      expect(result.stderr).toMatch(/1 row\(s\) inserted or updated since the backup by other transactions/);
      // both ways out, and the write is still there
      expect(result.stderr).toMatch(
        /To restore the pre-deploy backup .*: pgwarden restore \S+ --backup-dir \S+ --confirm \S+ --terminate-sessions/,
      );
      expect(result.stderr).toMatch(/Or, to keep the database as it is: fix 002_partial and deploy again/);
      expect(result.stderr).not.toContain('--database-url');
      expect(await sql(p.url, 'SELECT email FROM users WHERE id = 5001')).toEqual([
        { email: 'written-just-after-the-backup@x.org' },
      ]);
      expect(await indexExists(p.url)).toBe(true);
    } finally {
      await app.end().catch(() => undefined);
    }
  });

  it('if-no-writes and only the migration wrote (into a table it created): restored', async () => {
    const p = await deployedProject();
    writeFileSync(
      join(p.dir, 'migrations', '002_partial.sql'),
      `CREATE TABLE audit (id int);\nINSERT INTO audit VALUES (1), (2);\n${PARTIAL(0)}`,
    );
    const result = await pgwarden(['deploy', '--format', 'plain'], {
      cwd: p.dir,
      env: { DATABASE_URL: p.url },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/partly applied: restored the pre-deploy backup/);
    expect(await indexExists(p.url)).toBe(false);
    expect(await sql(p.url, `SELECT to_regclass('audit') IS NULL AS gone`)).toEqual([{ gone: true }]);
  });

  it('if-no-writes and the migration changed rows of the backup: who else did cannot be told, so not restored', async () => {
    const p = await deployedProject();
    writeFileSync(
      join(p.dir, 'migrations', '002_partial.sql'),
      `UPDATE users SET email = upper(email) WHERE id <= 10;\n${PARTIAL(0)}`,
    );
    const result = await pgwarden(['deploy', '--format', 'plain'], {
      cwd: p.dir,
      env: { DATABASE_URL: p.url },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /10 of the backup's 1000 row\(s\) were deleted or updated since \(this table was also changed by the migrations/,
    );
    expect(await indexExists(p.url)).toBe(true);
  });

  it('always, with an app writing every 50 ms throughout: restored, and every acknowledged write is live or in the safety backup', async () => {
    const p = await deployedProject();
    writeFileSync(join(p.dir, 'migrations', '002_partial.sql'), PARTIAL(1));
    const writer = startWriter(p.url, 'events', 50);
    let acked: number[] = [];
    let result: Awaited<ReturnType<typeof pgwarden>>;
    try {
      result = await pgwarden(['deploy', '--format', 'plain', '--restore-on-failure', 'always'], {
        cwd: p.dir,
        env: { DATABASE_URL: p.url },
      });
    } finally {
      ({ acked } = await writer.stop());
    }
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/restored the pre-deploy backup/);
    expect(await indexExists(p.url)).toBe(false);
    const live = new Set(
      (await sql<{ id: string }>(p.url, 'SELECT id::text FROM events')).map((r) => Number(r.id)),
    );
    const backups = join(p.dir, 'backups');
    const safety = readdirSync(backups)
      .filter((f) => f.endsWith('.manifest.json'))
      .map((f) => JSON.parse(readFileSync(join(backups, f), 'utf8')))
      .find((m) => m.reason === 'pre-restore');
    expect(safety).toBeDefined();
    const saved = idsInArchive(join(backups, safety.archive), 'events');
    expect(acked.length).toBeGreaterThan(5);
    expect(acked.filter((id) => !live.has(id) && !saved.has(id))).toEqual([]);
  });

  it('SIGTERM during the migration: exit 130, nothing restored, both ways out printed', async () => {
    const p = await deployedProject();
    writeFileSync(join(p.dir, 'migrations', '002_partial.sql'), PARTIAL(30));
    const run = pgwardenProcess(['deploy', '--format', 'plain'], {
      cwd: p.dir,
      env: { DATABASE_URL: p.url },
    });
    await inTheSleep(p.url);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/not restored: interrupted/);
    expect(result.stderr).toMatch(/pgwarden restore \S+ --backup-dir/);
    expect(await indexExists(p.url)).toBe(true);
    const backups = readdirSync(join(p.dir, 'backups')).filter((f) => f.endsWith('.manifest.json'));
    expect(
      backups.map((f) => JSON.parse(readFileSync(join(p.dir, 'backups', f), 'utf8')).reason),
    ).not.toContain('pre-restore');
  });
});
