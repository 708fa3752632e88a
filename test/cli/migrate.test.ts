/**
 * The runner commands end to end with the built binary: exit codes and output, a process killed
 * in the middle of a migration, two deploys started together, a lost connection, git guards.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden, pgwardenProcess } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();

async function schemaUrl(name: string): Promise<string> {
  await db.query(
    `DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name}; DROP SCHEMA IF EXISTS pgwarden CASCADE`,
  );
  const url = new URL(db.url);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

/** Runs a runner command on plain migrations; migrate also accepts the temp dir outside git. */
const run = (args: string[], url: string, cwd: string) => {
  const extra = args[0] === 'migrate' ? ['--allow-uncommitted'] : [];
  return pgwarden([...args, '--database-url', url, '--format', 'plain', ...extra], { cwd });
};

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('pgwarden status / migrate / plan', () => {
  it("says that a file's own BEGIN/COMMIT are not run, in plan and in migrate, as lint does", async () => {
    const url = await schemaUrl('c_begin');
    const dir = tempDir({
      'migrations/001_users.sql': 'BEGIN;\nCREATE TABLE users (id bigint PRIMARY KEY);\nCOMMIT;\n',
    });
    const note = "the file's own BEGIN/COMMIT (2) not run: pgwarden's transaction replaces them";
    const planned = await run(['plan'], url, dir);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain(note);
    const applied = await run(['migrate'], url, dir);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain(`→ 001_users (1 statement, one transaction)\n  ${note}`);
    const linted = await pgwarden(['lint', '--offline', 'migrations/001_users.sql'], { cwd: dir });
    expect(linted.stdout).toContain('The pgwarden runner does not run this BEGIN');
  });

  it('shows status, applies, and exits 1 with --check only while work is pending', async () => {
    const url = await schemaUrl('c_basic');
    const dir = tempDir({
      'migrations/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
      'migrations/002_email.sql': 'ALTER TABLE users ADD COLUMN email text;\n',
    });
    const before = await run(['status', '--check'], url, dir);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('pending   001_users');
    expect(before.stdout).toContain('0 applied, 2 pending');
    const dry = await run(['migrate', '--dry-run', '--json'], url, dir);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).migrations.map((m: { id: string }) => m.id)).toEqual([
      '001_users',
      '002_email',
    ]);
    expect((await db.query(`SELECT to_regclass('c_basic.users') AS t`)).rows[0].t).toBeNull();
    const applied = await run(['migrate'], url, dir);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Applied 2 migrations.');
    expect(applied.stderr).toContain('→ 001_users (1 statement, one transaction)');
    expect(applied.stderr).toMatch(/✓ 002_email \d+ ms/);
    const after = await run(['status', '--check', '--json'], url, dir);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).counts).toMatchObject({ applied: 2, pending: 0 });
    expect((await run(['migrate'], url, dir)).stdout).toContain('Nothing to migrate');
  });

  it('exits 1 with file, line, statement and server message when a migration fails (server-side syntax error too)', async () => {
    const url = await schemaUrl('c_fail');
    const dir = tempDir({
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      // JSON_TABLE parses with the PostgreSQL 18 grammar but is a syntax error on a PostgreSQL 15 server
      'migrations/002_b.sql':
        "CREATE TABLE b (id int);\nCREATE VIEW v AS SELECT * FROM JSON_TABLE('[1]'::jsonb, '$[*]' COLUMNS (x int PATH '$'));\n",
    });
    // the lint gate knows the server's version and stops it before anything runs
    const gated = await run(['migrate'], url, dir);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain(
      'migrations/002_b.sql:2 syntax-not-in-version: JSON_TABLE needs PostgreSQL 17; PostgreSQL 15 refuses the statement',
    );
    expect((await db.query(`SELECT to_regclass('c_fail.a') AS a`)).rows[0]).toEqual({ a: null });
    const result = await run(['migrate', '--no-lint-gate', 'the server error is the test'], url, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('002_b.sql:2');
    expect(result.stderr).toContain('syntax error at or near');
    expect(result.stderr).toContain('statement: CREATE VIEW v AS');
    expect(result.stderr).toContain('nothing of it is applied');
    const t = await db.query(`SELECT to_regclass('c_fail.a') AS a, to_regclass('c_fail.b') AS b`);
    expect(t.rows[0]).toEqual({ a: 'c_fail.a', b: null });
  });

  it('rejects bad input with exit 2: unknown format, bad duration, missing directory, resolve without outcome', async () => {
    const url = await schemaUrl('c_input');
    const dir = tempDir({ 'migrations/001_a.sql': 'SELECT 1;\n' });
    const env = { DATABASE_URL: url };
    const format = await pgwarden(['status', '--format', 'nope'], { cwd: dir, env });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('unknown migration format "nope"');
    const duration = await pgwarden(['migrate', '--lock-timeout', 'soon'], { cwd: dir, env });
    expect(duration.code).toBe(2);
    expect(duration.stderr).toContain('--lock-timeout: "soon" is not a duration');
    const missing = await pgwarden(['status', '--dir', 'nowhere'], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nowhere: migrations directory not found');
    const resolve = await pgwarden(['resolve', '001_a'], { cwd: dir, env });
    expect(resolve.code).toBe(2);
    expect(resolve.stderr).toContain('--applied or --rolled-back');
    // a format that reads none of the files: never "Nothing to migrate" with exit 0
    const wrong = await pgwarden(['migrate', '--format', 'golang-migrate', '--allow-uncommitted'], {
      cwd: dir,
      env,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the golang-migrate format reads none of the 1 .sql file in');
    expect(wrong.stderr).toContain('(001_a.sql)');
    expect((await db.query(`SELECT to_regnamespace('pgwarden') AS s`)).rows[0].s).toBeNull();
  });

  it('exits 3 naming the target (never the password) when the database is unreachable', async () => {
    const dir = tempDir({ 'migrations/001_a.sql': 'SELECT 1;\n' });
    const result = await pgwarden(['migrate', '--database-url', 'postgres://u:s3cret@127.0.0.1:1/app'], {
      cwd: dir,
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('cannot connect to 127.0.0.1:1/app');
    expect(result.stderr + result.stdout).not.toContain('s3cret');
  });
});

describe('pgwarden trace', () => {
  it('reports the locks and rewrite of each statement and leaves nothing behind', async () => {
    const url = await schemaUrl('c_trace');
    await db.query('CREATE TABLE c_trace.t (id int); INSERT INTO c_trace.t SELECT generate_series(1, 100)');
    const dir = tempDir({ 'change.sql': 'ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();\n' });
    const result = await pgwarden(['trace', 'change.sql', '--database-url', url, '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const trace = JSON.parse(result.stdout);
    expect(trace.rolledBack).toBe(true);
    expect(trace.statements[0].locks).toContainEqual(
      expect.objectContaining({
        relation: 'c_trace.t',
        modes: expect.arrayContaining(['AccessExclusiveLock']),
      }),
    );
    expect(trace.statements[0].rewrites).toContain('c_trace.t');
    const cols = await db.query(
      `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'c_trace.t'::regclass AND attname = 'token'`,
    );
    expect(cols.rows[0].n).toBe(0);
  });
});

/** Starts `pgwarden migrate` and resolves once the server runs `statement` for it, with that backend's pid. */
async function migrateUntilRunning(url: string, dir: string, statement: string) {
  const started = pgwardenProcess(
    ['migrate', '--database-url', url, '--format', 'plain', '--allow-uncommitted'],
    {
      cwd: dir,
    },
  );
  const pid = await waitFor(async () => {
    const { rows } = await db.query(
      // this file's database only: other test files run the same sleeps on the shared server
      `SELECT pid FROM pg_stat_activity
        WHERE query LIKE $1 || '%' AND state = 'active' AND datname = current_database()`,
      [statement],
    );
    return rows[0]?.pid as number | undefined;
  });
  return { ...started, pid };
}

describe('failures of the process and the connection', () => {
  it('a SIGKILLed migrate leaves the database consistent and the next run proceeds without repair', async () => {
    const url = await schemaUrl('c_kill');
    const dir = tempDir({
      'migrations/001_a.sql': 'CREATE TABLE a (id int);\n',
      'migrations/002_slow.sql':
        'CREATE TABLE slow (id int);\nSELECT pg_sleep(2);\nCREATE TABLE slow_done (id int);\n',
    });
    const { child, done } = await migrateUntilRunning(url, dir, 'SELECT pg_sleep(2)');
    child.kill('SIGKILL');
    await done;
    // the server ends the orphaned transaction: 002 is not half-applied
    await waitFor(async () => {
      const { rows } = await db.query(
        `SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(2)%' AND datname = current_database()`,
      );
      return rows.length ? undefined : true;
    });
    const t = await db.query(`SELECT to_regclass('c_kill.a') AS a, to_regclass('c_kill.slow') AS slow`);
    expect(t.rows[0]).toEqual({ a: 'c_kill.a', slow: null });
    const again = await run(['migrate'], url, dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Applied 1 migration.');
    const after = await db.query(`SELECT to_regclass('c_kill.slow_done') AS t`);
    expect(after.rows[0].t).toBe('c_kill.slow_done');
  });

  it('Ctrl-C cancels the running statement, rolls the migration back and exits 130', async () => {
    const url = await schemaUrl('c_int');
    const dir = tempDir({ 'migrations/001_x.sql': 'CREATE TABLE x (id int);\nSELECT pg_sleep(30);\n' });
    const { child, done } = await migrateUntilRunning(url, dir, 'SELECT pg_sleep(30)');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted while running');
    expect(result.stderr).toContain('nothing of it is applied');
    expect((await db.query(`SELECT to_regclass('c_int.x') AS t`)).rows[0].t).toBeNull();
    const sleeping = await db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active' AND datname = current_database()`,
    );
    expect(sleeping.rows[0].n).toBe(0);
  });

  it('two migrate processes started together apply every migration exactly once', async () => {
    const url = await schemaUrl('c_two');
    const files: Record<string, string> = {};
    for (let i = 1; i <= 5; i++) {
      files[`migrations/00${i}_m.sql`] =
        `CREATE TABLE t${i} (id int);\nINSERT INTO counter VALUES (${i});\nSELECT pg_sleep(0.1);\n`;
    }
    files['migrations/000_counter.sql'] = 'CREATE TABLE counter (n int);\n';
    const dir = tempDir(files);
    const args = ['migrate', '--database-url', url, '--format', 'plain', '--allow-uncommitted'];
    const [one, two] = await Promise.all([pgwarden(args, { cwd: dir }), pgwarden(args, { cwd: dir })]);
    expect([one.code, two.code]).toEqual([0, 0]);
    const counter = await db.query('SELECT n FROM c_two.counter ORDER BY n');
    expect(counter.rows.map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    const history = await db.query('SELECT count(*)::int AS n FROM pgwarden.schema_migrations');
    expect(history.rows[0].n).toBe(6);
    expect([one.stdout, two.stdout].sort()).toEqual([
      'Applied 6 migrations.\n',
      'Nothing to migrate: the database is up to date.\n',
    ]);
  });

  it('reports a lost connection clearly (exit 3) and leaves nothing half-applied', async () => {
    const url = await schemaUrl('c_lost');
    const dir = tempDir({ 'migrations/001_x.sql': 'CREATE TABLE x (id int);\nSELECT pg_sleep(5);\n' });
    const { done, pid } = await migrateUntilRunning(url, dir, 'SELECT pg_sleep(5)');
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    const result = await done;
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('connection to the database was lost while running 001_x.sql');
    expect((await db.query(`SELECT to_regclass('c_lost.x') AS t`)).rows[0].t).toBeNull();
  });
});

describe('git guard', () => {
  it('refuses untracked or modified migration files unless --allow-uncommitted', async () => {
    const url = await schemaUrl('c_git');
    const dir = tempDir({ 'migrations/001_a.sql': 'CREATE TABLE a (id int);\n' });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], { cwd: dir });
    git('init', '-q');
    git('add', 'migrations/001_a.sql');
    git('commit', '-q', '-m', 'first');
    writeFileSync(join(dir, 'migrations/002_b.sql'), 'CREATE TABLE b (id int);\n');
    const cmd = ['migrate', '--database-url', url, '--format', 'plain'];
    const untracked = await pgwarden(cmd, { cwd: dir });
    expect(untracked.code).toBe(1);
    expect(untracked.stderr).toContain('untracked: migrations/002_b.sql');
    expect((await db.query(`SELECT to_regclass('c_git.a') AS t`)).rows[0].t).toBeNull();
    git('add', 'migrations/002_b.sql');
    git('commit', '-q', '-m', 'second');
    writeFileSync(join(dir, 'migrations/001_a.sql'), 'CREATE TABLE a (id bigint);\n');
    const modified = await pgwarden(cmd, { cwd: dir });
    expect(modified.code).toBe(1);
    expect(modified.stderr).toContain('modified:  migrations/001_a.sql');
    const forced = await pgwarden([...cmd, '--allow-uncommitted'], { cwd: dir });
    expect(forced.code).toBe(0);
    git('checkout', '-q', 'migrations/001_a.sql');
    const commit = git('rev-parse', 'HEAD').toString().trim();
    const rows = await db.query('SELECT git_commit FROM pgwarden.migrations');
    expect(rows.rows.every((r) => r.git_commit === commit)).toBe(true);
  });
});
