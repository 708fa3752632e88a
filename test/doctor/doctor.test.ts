/**
 * `doctor()` on real databases and real project directories: each database, migration, git and
 * backup check passing and failing, levels from the config (warn, off), a check that throws, a
 * check that tries to write (the doctor's session is read-only), and a database that cannot be
 * reached (a failed check; the checks that need it are skipped).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { type DoctorResult, doctor } from '../../src/doctor/doctor.js';
import type { DoctorCheck } from '../../src/doctor/types.js';
import { migrate } from '../../src/migrate/migrate.js';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { shimDir } from '../support/pg-shims.js';

const freshDatabase = useFreshDatabases();

const USERS = 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n';
const ORDERS = 'CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users);\n';

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, stdio: 'ignore' });
}

/** A committed git project with plain migrations. */
function project(migrations: Record<string, string> = { '001_users.sql': USERS }): string {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(migrations)) files[`migrations/${name}`] = text;
  const dir = tempDir({ ...files, '.gitignore': 'backups/\n' });
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

async function run(
  cwd: string,
  url: string | undefined,
  only: string[],
  extra: { config?: Config; now?: Date; checks?: DoctorCheck[] } = {},
): Promise<DoctorResult> {
  return doctor({
    cwd,
    env: {},
    config: extra.config ?? {},
    databaseUrl: url,
    only,
    migrations: { format: 'plain' },
    ...(extra.now ? { now: extra.now } : {}),
    ...(extra.checks ? { checks: extra.checks } : {}),
  });
}

function check(result: DoctorResult, id: string) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${result.checks.map((c) => c.id).join(', ')}`);
  return found;
}

describe('doctor: connection', () => {
  it('connected: server version, database and role as evidence', async () => {
    const db = await freshDatabase();
    const result = await run(project(), db.url, ['connection']);
    const c = check(result, 'connection');
    expect(c.status).toBe('pass');
    expect(c.evidence.join('\n')).toContain(`database: ${db.name}`);
    expect(c.evidence.join('\n')).toMatch(/server: PostgreSQL 15\./);
  });

  it('unreachable: the connection fails and every check that needs the database is skipped', async () => {
    const url = 'postgres://someone:hunter2secret@127.0.0.1:1/nowhere';
    const result = await run(project(), url, ['migrations', 'invalid-indexes', 'deploy-window']);
    expect(check(result, 'connection')).toMatchObject({ status: 'fail' });
    expect(check(result, 'connection').fix).toContain('DATABASE_URL');
    expect(check(result, 'migrations')).toMatchObject({ status: 'skip', summary: 'no database connection' });
    expect(check(result, 'invalid-indexes').status).toBe('skip');
    expect(check(result, 'deploy-window').status).toBe('pass');
    expect(JSON.stringify(result)).not.toContain('hunter2secret');
    expect(result.counts).toEqual({ pass: 1, warn: 0, fail: 1, skip: 2 });
  });
});

describe('doctor: migrations', () => {
  it('pending migrations pass and are listed; applied ones are counted', async () => {
    const db = await freshDatabase();
    const dir = project({ '001_users.sql': USERS, '002_orders.sql': ORDERS });
    let c = check(await run(dir, db.url, ['migrations']), 'migrations');
    expect(c.status).toBe('pass');
    expect(c.summary).toBe('0 applied, 2 pending: deploy applies them');
    expect(c.evidence).toContain('pending: 001_users (migrations/001_users.sql)');
    await migrate({ databaseUrl: db.url, cwd: dir, format: 'plain' });
    c = check(await run(dir, db.url, ['migrations']), 'migrations');
    expect(c).toMatchObject({ status: 'pass', summary: 'up to date (2 applied)' });
  });

  it('a modified and a missing migration fail, naming them and the way out', async () => {
    const db = await freshDatabase();
    const dir = project({ '001_users.sql': USERS, '002_orders.sql': ORDERS });
    await migrate({ databaseUrl: db.url, cwd: dir, format: 'plain' });
    writeFileSync(join(dir, 'migrations/001_users.sql'), `${USERS}-- edited after it ran\n`);
    execFileSync('rm', [join(dir, 'migrations/002_orders.sql')]);
    const c = check(await run(dir, db.url, ['migrations']), 'migrations');
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('1 modified, 1 missing');
    expect(c.evidence.join('\n')).toContain('modified: 001_users');
    expect(c.evidence.join('\n')).toContain('missing: 002_orders');
    expect(c.fix).toContain('new migration');
  });

  it('pending-lint: what the deploy gate would stop fails, naming the finding; a fresh run passes', async () => {
    const db = await freshDatabase();
    // a fresh environment: the index is on a table the same run creates
    const dir = project({
      '001_users.sql': USERS,
      '002_email.sql': 'CREATE INDEX users_email ON users (email);\n',
    });
    let c = check(await run(dir, db.url, ['pending-lint']), 'pending-lint');
    expect(c).toMatchObject({ status: 'pass', summary: '2 pending file(s) pass the lint gate' });
    // once users is live and has more rows than the small-table limit, the same index is an outage risk
    await migrate({ databaseUrl: db.url, cwd: dir, format: 'plain', target: '001_users' });
    await sqlOn(db.url, `INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 30) g`);
    const config: Config = { lint: { smallTable: { rows: 10 } } };
    c = check(await run(dir, db.url, ['pending-lint'], { config }), 'pending-lint');
    expect(c.status).toBe('fail');
    expect(c.summary).toBe('deploy would stop at the lint gate: 1 error(s) in 1 pending file(s)');
    expect(c.evidence).toEqual([
      expect.stringMatching(/^migrations\/002_email\.sql:1 require-concurrent-index-creation: /),
    ]);
    expect(c.fix).toContain('pgwarden fix');
    // under the default limit (10,000 rows) the 30-row table is small: ready
    c = check(await run(dir, db.url, ['pending-lint']), 'pending-lint');
    expect(c).toMatchObject({
      status: 'pass',
      summary: '1 pending file(s) pass the lint gate, 1 warning(s)',
    });
    expect(await sqlOn(db.url, `SELECT to_regclass('users_email') AS i`)).toEqual([{ i: null }]);
  });
});

describe('doctor: git', () => {
  it('an untracked and an edited migration file fail migrations-git; the work tree check warns', async () => {
    const dir = project();
    let result = await run(dir, undefined, ['migrations-git', 'worktree']);
    expect(check(result, 'migrations-git')).toMatchObject({ status: 'pass' });
    expect(check(result, 'worktree').status).toBe('pass');

    writeFileSync(join(dir, 'migrations/002_orders.sql'), ORDERS);
    writeFileSync(join(dir, 'migrations/001_users.sql'), `${USERS}-- edited\n`);
    writeFileSync(join(dir, 'server.js'), 'console.log(1)\n');
    result = await run(dir, undefined, ['migrations-git', 'worktree']);
    const m = check(result, 'migrations-git');
    expect(m.status).toBe('fail');
    expect(m.evidence).toEqual(
      expect.arrayContaining(['untracked: migrations/002_orders.sql', 'modified: migrations/001_users.sql']),
    );
    const w = check(result, 'worktree');
    // its default level is warn: a failure of it is reported as a warning
    expect(w.status).toBe('warn');
    expect(w.evidence).toEqual(expect.arrayContaining(['?? server.js', ' M migrations/001_users.sql']));
  });

  it('not a git repository: both skip with the reason', async () => {
    const dir = tempDir({ 'migrations/001_users.sql': USERS });
    const result = await run(dir, undefined, ['migrations-git', 'worktree']);
    expect(check(result, 'migrations-git')).toMatchObject({ status: 'skip' });
    expect(check(result, 'migrations-git').summary).toContain('not in a git repository');
    expect(check(result, 'worktree').status).toBe('skip');
  });
});

describe('doctor: pg_dump', () => {
  it('passes with the programs found; fails naming the package when pg_dump is older than the server', async () => {
    const db = await freshDatabase();
    const dir = project();
    expect(check(await run(dir, db.url, ['pg-dump']), 'pg-dump').status).toBe('pass');
    const old = shimDir({
      pg_dump: `case "$1" in --version) echo "pg_dump (PostgreSQL) 14.12"; exit 0;; esac\nexit 1`,
    });
    const saved = process.env.PG_BIN;
    process.env.PG_BIN = old;
    try {
      const c = check(await run(dir, db.url, ['pg-dump']), 'pg-dump');
      expect(c.status).toBe('fail');
      expect(c.fix).toContain('postgresql-client-15');
    } finally {
      if (saved === undefined) delete process.env.PG_BIN;
      else process.env.PG_BIN = saved;
    }
  });
});

describe('doctor: backups', () => {
  it('no directory: backup-dir passes (it can be made), backup-age fails as a warning, backup-files passes', async () => {
    const db = await freshDatabase();
    const dir = project();
    const result = await run(dir, db.url, ['backup-dir', 'backup-age', 'backup-files']);
    expect(check(result, 'backup-dir').status).toBe('pass');
    expect(check(result, 'backup-dir').summary).toContain('does not exist yet');
    expect(check(result, 'backup-age')).toMatchObject({ status: 'warn', level: 'warn' });
    expect(check(result, 'backup-age').summary).toContain('no backups');
    expect(check(result, 'backup-files').status).toBe('pass');
  });

  it('a file where the directory should be fails backup-dir', async () => {
    const dir = project();
    writeFileSync(join(dir, 'backups'), 'not a directory');
    const c = check(await run(dir, undefined, ['backup-dir']), 'backup-dir');
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('is not a directory');
    expect(c.fix).toContain('BACKUP_DIR');
  });

  it('a fresh verified backup passes; 30 hours later it is too old; a SQLite file is flagged', async () => {
    const db = await freshDatabase();
    const dir = project();
    const made = await pgwarden(['backup', 'create', '--backup-dir', join(dir, 'backups')], {
      cwd: dir,
      env: { DATABASE_URL: db.url },
    });
    expect(made.code, made.stderr).toBe(0);
    let result = await run(dir, db.url, ['backup-age', 'backup-files']);
    expect(check(result, 'backup-age').status).toBe('pass');
    expect(check(result, 'backup-files').status).toBe('pass');

    writeFileSync(join(dir, 'backups', 'app.sqlite3'), Buffer.from('SQLite format 3\0'.padEnd(100, '\0')));
    const later = new Date(Date.now() + 30 * 3_600_000);
    result = await run(dir, db.url, ['backup-age', 'backup-files'], { now: later });
    const age = check(result, 'backup-age');
    expect(age.status).toBe('warn');
    expect(age.summary).toMatch(/is 30\.\d h old \(limit 26 h\)/);
    const files = check(result, 'backup-files');
    expect(files.status).toBe('warn');
    expect(files.evidence.join('\n')).toMatch(/app\.sqlite3: .*SQLite/);

    // the limit comes from the config
    result = await run(dir, db.url, ['backup-age'], {
      now: later,
      config: { doctor: { backupMaxAgeHours: 48 } },
    });
    expect(check(result, 'backup-age').status).toBe('pass');
  });
});

describe('doctor: sessions and indexes', () => {
  it('a session idle in a transaction is reported with its pid and the tables it locks', async () => {
    const db = await freshDatabase();
    await sqlOn(db.url, 'CREATE TABLE accounts (id int)');
    const dir = project();
    expect(check(await run(dir, db.url, ['long-transactions']), 'long-transactions').status).toBe('pass');
    const other = new pg.Client({ connectionString: db.url, application_name: 'stuck-worker' });
    await other.connect();
    try {
      await other.query('BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE');
      const pid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // judged 10 minutes from now: idle in transaction for longer than the 1-minute limit
      const c = check(
        await run(dir, db.url, ['long-transactions'], { now: new Date(Date.now() + 600_000) }),
        'long-transactions',
      );
      expect(c.status).toBe('warn');
      expect(c.evidence.join('\n')).toContain(`pid ${pid}`);
      expect(c.evidence.join('\n')).toContain('application "stuck-worker"');
      expect(c.evidence.join('\n')).toContain('holds locks on public.accounts');
      expect(c.fix).toContain(`pg_terminate_backend(${pid})`);
    } finally {
      await other.end();
    }
  });

  it('an INVALID index left by a failed CREATE UNIQUE INDEX CONCURRENTLY fails, with REINDEX as the fix', async () => {
    const db = await freshDatabase();
    await sqlOn(db.url, "CREATE TABLE people (email text); INSERT INTO people VALUES ('a'), ('a')");
    await expect(
      sqlOn(db.url, 'CREATE UNIQUE INDEX CONCURRENTLY people_email_key ON people (email)'),
    ).rejects.toThrow(/could not create unique index/);
    const c = check(await run(project(), db.url, ['invalid-indexes']), 'invalid-indexes');
    expect(c.status).toBe('fail');
    expect(c.summary).toBe('1 INVALID index(es): public.people_email_key');
    expect(c.fix).toContain('REINDEX INDEX CONCURRENTLY "public"."people_email_key";');
    expect(c.fix).toContain('duplicate rows');
  });
});

describe('doctor: deploy window', () => {
  it('a freeze now is a warning with the next allowed time', async () => {
    const now = new Date('2026-12-24T10:00:00Z');
    const config: Config = {
      deploy: {
        windows: {
          timezone: 'UTC',
          freeze: [{ from: '2026-12-20', to: '2027-01-02', reason: 'holidays' }],
        },
      },
    };
    const c = check(await run(project(), undefined, ['deploy-window'], { now, config }), 'deploy-window');
    expect(c.status).toBe('warn');
    expect(c.summary).toContain('holidays');
    expect(c.evidence.join('\n')).toContain('next allowed: 2027-01-03 00:00 UTC');
    expect(c.fix).toContain('--force-window');
  });
});

describe('doctor: levels, errors and the read-only session', () => {
  it('config levels: warn turns a failure into a warning, off skips the check', async () => {
    const db = await freshDatabase();
    await sqlOn(db.url, "CREATE TABLE t (v text); INSERT INTO t VALUES ('x'), ('x')");
    await sqlOn(db.url, 'CREATE UNIQUE INDEX CONCURRENTLY t_v ON t (v)').catch(() => undefined);
    const dir = project();
    let result = await run(dir, db.url, ['invalid-indexes'], {
      config: { doctor: { checks: { 'invalid-indexes': 'warn' } } },
    });
    expect(check(result, 'invalid-indexes')).toMatchObject({ status: 'warn', level: 'warn' });
    result = await run(dir, db.url, ['invalid-indexes'], {
      config: { doctor: { checks: { 'invalid-indexes': 'off' } } },
    });
    expect(check(result, 'invalid-indexes')).toMatchObject({
      status: 'skip',
      summary: 'turned off in the config',
    });
  });

  it('an unknown check id in the config or in --check is a clear error', async () => {
    const dir = project();
    await expect(
      run(dir, undefined, [], { config: { doctor: { checks: { 'invalid-indexs': 'off' } } } }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('"invalid-indexs"') });
    await expect(run(dir, undefined, ['nope'])).rejects.toMatchObject({
      code: 'USAGE',
      message: 'unknown doctor check: nope',
    });
  });

  it('a check that throws is a failure with its message; the next checks still run', async () => {
    const db = await freshDatabase();
    const boom: DoctorCheck = {
      id: 'boom',
      title: 'throws',
      level: 'fail',
      needsDatabase: true,
      run: async () => {
        throw new Error('something broke');
      },
    };
    const writes: DoctorCheck = {
      id: 'writes',
      title: 'tries to write',
      level: 'fail',
      needsDatabase: true,
      run: async (ctx) => {
        await ctx.client!.query('CREATE TABLE should_not_exist (id int)');
        return { status: 'pass', summary: 'wrote', evidence: [] };
      },
    };
    const after: DoctorCheck = {
      id: 'after',
      title: 'runs after',
      level: 'fail',
      needsDatabase: true,
      run: async (ctx) => {
        await ctx.client!.query('SELECT 1');
        return { status: 'pass', summary: 'still fine', evidence: [] };
      },
    };
    const result = await run(project(), db.url, [], { checks: [boom, writes, after] });
    expect(check(result, 'boom')).toMatchObject({
      status: 'fail',
      summary: 'the check could not run: something broke',
    });
    expect(check(result, 'writes').status).toBe('fail');
    expect(check(result, 'writes').summary).toContain('read-only transaction');
    expect(check(result, 'after')).toMatchObject({ status: 'pass', summary: 'still fine' });
    expect(await sqlOn(db.url, "SELECT to_regclass('should_not_exist') AS t")).toEqual([{ t: null }]);
  });
});

describe('doctor: a healthy project', () => {
  it('every check of the registry that applies passes or warns (none fails)', async () => {
    const db = await freshDatabase();
    const dir = project();
    await migrate({ databaseUrl: db.url, cwd: dir, format: 'plain' });
    mkdirSync(join(dir, 'backups'));
    const made = await pgwarden(['backup', 'create'], { cwd: dir, env: { DATABASE_URL: db.url } });
    expect(made.code, made.stderr).toBe(0);
    const result = await doctor({
      cwd: dir,
      env: {},
      config: {},
      databaseUrl: db.url,
      migrations: { format: 'plain' },
    });
    const failed = result.checks.filter((c) => c.status === 'fail');
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    for (const id of [
      'connection',
      'migrations',
      'pending-lint',
      'migrations-git',
      'worktree',
      'pg-dump',
      'backup-age',
    ])
      expect(check(result, id).status, id).toBe('pass');
  });
});
