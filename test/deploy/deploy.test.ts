/**
 * `pgwarden deploy` end to end with the real CLI on real databases: nothing pending starts the app
 * at once; pending migrations get a lint gate, a verified pre-deploy backup, migrate, prune, a deploy
 * record; and each failure — a failing migration, a failing backup, an unreachable database, a
 * second deploy, a failing health check, an app that cannot start, SIGTERM during the migration,
 * a closed deploy window, lint errors, bad settings, partly applied non-transactional migrations —
 * leaves the database as stated and never starts the app.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../faults/support.js';
import { pgwarden, pgwardenProcess } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { deployIn, deployProject } from '../support/deploy-project.js';
import { shimDir } from '../support/pg-shims.js';

const freshDatabase = useFreshDatabases();
const sql = sqlOn;

const project = deployProject;
const deploy = deployIn;

const USERS = 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n';

describe('deploy', () => {
  it('nothing pending: starts the app at once, no backup, and its exit code is pgwarden’s', async () => {
    const db = await freshDatabase();
    const p = project({});
    const result = await deploy(p, db.url, [], { APP_EXIT: '7' });
    expect(result.code, result.stderr).toBe(7);
    expect(result.stderr).toContain('nothing pending');
    expect(existsSync(p.marker)).toBe(true);
    expect(existsSync(p.backups)).toBe(false);
  });

  it('pending migrations: lint gate, verified pre-deploy backup, migrate, prune, record, then the app', async () => {
    const db = await freshDatabase();
    const p = project({
      '001_users.sql': USERS,
      '002_index.sql': 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n',
    });
    const result = await deploy(p, db.url);
    expect(result.code, result.stderr).toBe(0);
    for (const stepName of ['preflight', 'status', 'lint', 'backup', 'migrate', 'prune'])
      expect(result.stderr).toMatch(new RegExp(`✓ ${stepName}`));
    expect(result.stderr).toContain('▶ start');
    expect(existsSync(p.marker)).toBe(true);
    expect(
      await sql(db.url, `SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1`),
    ).toEqual([{ indexname: 'users_email_idx' }, { indexname: 'users_pkey' }]);
    const manifests = readdirSync(p.backups).filter((f) => f.endsWith('.manifest.json'));
    expect(manifests).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(p.backups, manifests[0]!), 'utf8'));
    expect(manifest).toMatchObject({ reason: 'pre-deploy', pinned: false, verification: { ok: true } });
    const [rec] = await sql(
      db.url,
      `SELECT result, migrations, backup_id, steps, schema_fingerprint FROM pgwarden.deploys`,
    );
    expect(rec).toMatchObject({
      result: 'started',
      migrations: ['001_users', '002_index'],
      backup_id: manifest.id,
    });
    expect(rec.steps.map((s: { step: string }) => s.step)).toEqual([
      'preflight',
      'status',
      'lint',
      'backup',
      'migrate',
      'prune',
    ]);
    expect(rec.schema_fingerprint).toMatch(/^sha256:/);

    // the next start has nothing to do: no new backup
    const again = await deploy(p, db.url, ['--json']);
    expect(again.code).toBe(0);
    const lines = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-2)).toMatchObject({ result: 'up-to-date' });
    expect(lines.at(-1)).toEqual({ step: 'start', command: p.app });
    expect(readdirSync(p.backups).filter((f) => f.endsWith('.manifest.json'))).toHaveLength(1);
  });

  it('a failing migration: rolled back, database unchanged, app not started, exit 1, recorded', async () => {
    const db = await freshDatabase();
    const p = project({
      '001_users.sql': USERS,
      '002_bad.sql': 'ALTER TABLE users ADD COLUMN age int;\nSELECT 1/0;\n',
    });
    const result = await deploy(p, db.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('division by zero');
    expect(existsSync(p.marker)).toBe(false);
    expect(
      await sql(
        db.url,
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1`,
      ),
    ).toEqual([{ column_name: 'email' }, { column_name: 'id' }]);
    expect(result.stderr).toContain('the failed migration was rolled back: nothing to restore');
    expect(await sql(db.url, `SELECT result FROM pgwarden.deploys`)).toEqual([{ result: 'failed' }]);
  });

  it('a failing backup: no migration runs, app not started', async () => {
    const db = await freshDatabase();
    const p = project({ '001_users.sql': USERS });
    const bin = shimDir({
      pg_dump: `case "$1" in --version) exec "$REAL/pg_dump" "$@";; esac\necho "pg_dump: error: could not write to output file: No space left on device" >&2; exit 1`,
    });
    const result = await deploy(p, db.url, [], { PG_BIN: bin });
    // a full disk is the environment's problem: exit 3, as for pgwarden's own writes
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('No space left on device');
    expect(await sql(db.url, `SELECT to_regclass('users') IS NULL AS absent`)).toEqual([{ absent: true }]);
    expect(existsSync(p.marker)).toBe(false);
  });

  it('an unreachable database: exit 3, app not started', async () => {
    const p = project({ '001_users.sql': USERS });
    const result = await deploy(p, 'postgres://app:secret@127.0.0.1:1/app');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('cannot connect to 127.0.0.1:1/app');
    expect(result.stderr).not.toContain('secret');
    expect(existsSync(p.marker)).toBe(false);
  });

  it('a second deploy while one runs waits for the lock, gives up after --lock-wait, never starts its app', async () => {
    const db = await freshDatabase();
    // the first deploy's migration waits for a gate the test holds: it keeps the migration lock
    // for exactly as long as the test needs, however slow the machine
    const gate = new pg.Client({ connectionString: db.url });
    gate.on('error', () => undefined); // dropped with the database if the test fails
    await gate.connect();
    await gate.query('SELECT pg_advisory_lock(4242)');
    const slow = 'CREATE TABLE slow (x int);\nSELECT pg_advisory_lock(4242), pg_advisory_unlock(4242);\n';
    const p = project({ '001_slow.sql': slow });
    const first = pgwardenProcess(['deploy', '--format', 'plain', '--', ...p.app], {
      cwd: p.dir,
      env: { DATABASE_URL: db.url },
    });
    try {
      await waitFor(
        'the first deploy to wait at the gate',
        async () =>
          (
            await sql(
              db.url,
              // waiting, not merely the last query of a session: the gate's own session shows the
              // same text, and a second deploy started before the first holds the lock would win it
              `SELECT 1 FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'active' AND wait_event = 'advisory'`,
            )
          ).length > 0,
        60_000,
      );
      const q = project({ '001_slow.sql': slow });
      const second = await deploy(q, db.url, ['--lock-wait', '1s']);
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/another deploy|lock/i);
      expect(existsSync(q.marker)).toBe(false);
    } finally {
      await gate.end();
    }
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(existsSync(p.marker)).toBe(true);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM pgwarden.migrations`)).toEqual([{ n: 1 }]);
  });

  it('a failing health check: exit 1, the app not started (the migrations stay applied)', async () => {
    const db = await freshDatabase();
    const p = project(
      { '001_users.sql': USERS },
      { deploy: { healthCheck: { command: ['false'], within: 1500 } } },
    );
    const result = await deploy(p, db.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the health check failed: false exited 1');
    expect(existsSync(p.marker)).toBe(false);
    expect(await sql(db.url, `SELECT result FROM pgwarden.deploys`)).toEqual([{ result: 'failed' }]);
  });

  it('an app command that does not exist: exit 3 with a clear message', async () => {
    const db = await freshDatabase();
    const p = project({});
    const result = await pgwarden(
      ['deploy', '--format', 'plain', '--', 'no-such-app-xyz', '--port', '3000'],
      {
        cwd: p.dir,
        env: { DATABASE_URL: db.url },
      },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the app could not be started: no-such-app-xyz: command not found');
  });

  it('SIGTERM during the migration: rolled back, exit 130, app not started', async () => {
    const db = await freshDatabase();
    const p = project({ '001_slow.sql': 'CREATE TABLE t (x int);\nSELECT pg_sleep(30);\n' });
    const run = pgwardenProcess(['deploy', '--format', 'plain', '--', ...p.app], {
      cwd: p.dir,
      env: { DATABASE_URL: db.url },
    });
    for (let i = 0; i < 400; i++) {
      const rows = await sql(
        db.url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`,
      );
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(existsSync(p.marker)).toBe(false);
    expect(await sql(db.url, `SELECT to_regclass('t') IS NULL AS absent`)).toEqual([{ absent: true }]);
  });

  it('forwards signals to the app and returns its exit code', async () => {
    const db = await freshDatabase();
    const p = project({});
    const ready = join(p.dir, 'ready');
    const app = [
      process.execPath,
      '-e',
      `process.on('SIGTERM', () => process.exit(42)); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`,
    ];
    const run = pgwardenProcess(['deploy', '--format', 'plain', '--', ...app], {
      cwd: p.dir,
      env: { DATABASE_URL: db.url },
    });
    for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(42);
  });

  it('outside the deploy windows: refused with the next allowed time; --force-window records the reason', async () => {
    const db = await freshDatabase();
    const closed = {
      deploy: {
        windows: {
          timezone: 'Europe/Berlin',
          freeze: [{ from: '2000-01-01', to: '2999-12-31', reason: 'year-end freeze' }],
        },
      },
    };
    const p = project({ '001_users.sql': USERS }, closed);
    const refused = await deploy(p, db.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'deploy refused: a deploy freeze is on until 3000-01-01 00:00 Europe/Berlin (year-end freeze)',
    );
    expect(refused.stderr).toContain('--force-window');
    expect(await sql(db.url, `SELECT to_regclass('users') IS NULL AS absent`)).toEqual([{ absent: true }]);
    const forced = await deploy(p, db.url, ['--force-window', 'incident 42 hotfix']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await sql(db.url, `SELECT forced_window FROM pgwarden.deploys WHERE result = 'started'`)).toEqual([
      { forced_window: 'incident 42 hotfix' },
    ]);
  });

  it('lint errors in pending migrations stop the deploy before the backup', async () => {
    const db = await freshDatabase();
    // more rows than the lint gate's small-table limit (10,000): the index is an outage risk
    await sql(
      db.url,
      'CREATE TABLE accounts (id int); INSERT INTO accounts SELECT generate_series(1, 10001)',
    );
    const p = project({ '001_index.sql': 'CREATE INDEX accounts_id_idx ON accounts (id);\n' });
    const result = await deploy(p, db.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('require-concurrent-index-creation');
    expect(existsSync(p.backups)).toBe(false);
    expect(existsSync(p.marker)).toBe(false);
  });

  it('reports every bad setting at once (exit 2)', async () => {
    const p = project({});
    const result = await pgwarden(['deploy', '--', 'true'], {
      cwd: p.dir,
      env: {
        DATABASE_URL: undefined,
        PGHOST: undefined,
        PGDATABASE: undefined,
        BACKUP_RETENTION_DAYS: 'month',
        PGWARDEN_LOCK_TIMEOUT: 'soon',
        PGWARDEN_RESTORE_ON_FAILURE: 'maybe',
      },
    });
    expect(result.code).toBe(2);
    for (const text of [
      'no database: set DATABASE_URL',
      'BACKUP_RETENTION_DAYS must be a whole number',
      'PGWARDEN_LOCK_TIMEOUT: "soon" is not a duration',
      'PGWARDEN_RESTORE_ON_FAILURE must be never, if-no-writes or always',
    ])
      expect(result.stderr).toContain(text);
  });
});

describe('deploy and schema drift', () => {
  it('a schema changed by hand since the last deploy: the app still starts, new migrations are refused', async () => {
    const db = await freshDatabase();
    const p = project({ '001_users.sql': USERS });
    expect((await deploy(p, db.url)).code).toBe(0);
    await sql(db.url, 'ALTER TABLE users ADD COLUMN hotfix int');
    const restart = await deploy(p, db.url);
    expect(restart.code).toBe(0);
    expect(restart.stderr).toContain('! preflight');
    expect(restart.stderr).toContain('schema changed outside the migrations since the last deploy');
    writeFileSync(join(p.dir, 'migrations', '002_more.sql'), 'ALTER TABLE users ADD COLUMN more int;\n');
    const refused = await deploy(p, db.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the schema changed outside the migrations since the last deploy');
    expect(refused.stderr).toContain('pgwarden drift');
    expect(
      await sql(
        db.url,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'more'`,
      ),
    ).toEqual([{ n: 0 }]);

    // kept on purpose: --accept-drift deploys, records the reason and the new fingerprint
    expect((await deploy(p, db.url, ['--accept-drift', ' '])).code).toBe(2);
    const accepted = await deploy(p, db.url, ['--accept-drift', 'hotfix column kept (incident 42)']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(
      await sql(
        db.url,
        `SELECT accepted_drift FROM pgwarden.deploys WHERE result = 'started' ORDER BY deploy_id`,
      ),
    ).toEqual([{ accepted_drift: null }, { accepted_drift: 'hotfix column kept (incident 42)' }]);
    const after = await deploy(p, db.url);
    expect(after.stderr).toContain('✓ preflight');
  });
});

describe('deploy recovery of partly applied migrations', () => {
  // the first statement (CONCURRENTLY) runs alone and stays; the second fails
  const PARTIAL = 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nSELECT 1/0;\n';

  it('if-no-writes and nothing written since the backup: the pre-deploy backup is restored', async () => {
    const db = await freshDatabase();
    const p = project({ '001_users.sql': USERS });
    expect((await deploy(p, db.url)).code).toBe(0);
    await sql(db.url, `INSERT INTO users (email) VALUES ('a@x.org')`);
    writeFileSync(join(p.dir, 'migrations', '002_partial.sql'), PARTIAL);
    const result = await deploy(p, db.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/restored the pre-deploy backup/);
    expect(
      await sql(db.url, `SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'users_email_idx'`),
    ).toEqual([{ n: 0 }]);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 1 }]);
    expect(await sql(db.url, `SELECT result FROM pgwarden.deploys ORDER BY deploy_id DESC LIMIT 1`)).toEqual([
      { result: 'restored' },
    ]);
  });

  it('never: not restored; the exact restore command is printed', async () => {
    const db = await freshDatabase();
    const p = project({ '001_users.sql': USERS, '002_partial.sql': PARTIAL });
    const result = await deploy(p, db.url, ['--restore-on-failure', 'never']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not restored: restoreOnFailure is never');
    expect(result.stderr).toMatch(
      /To restore the pre-deploy backup \(a safety backup of the current state is taken first\): pgwarden restore \d{8}T\d{6}Z-pgwarden_test_\w+ --backup-dir \S+ --confirm pgwarden_test_\w+ --terminate-sessions\n/,
    );
    expect(
      await sql(db.url, `SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'users_email_idx'`),
    ).toEqual([{ n: 1 }]);
  });

  it('if-no-writes, but the application wrote since the backup: not restored, the command printed', async () => {
    const db = await freshDatabase();
    const p = project({
      '001_users.sql': USERS,
      '002_partial.sql':
        'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nSELECT pg_sleep(2);\nSELECT 1/0;\n',
    });
    const run = pgwardenProcess(['deploy', '--format', 'plain', '--', ...p.app], {
      cwd: p.dir,
      env: { DATABASE_URL: db.url },
    });
    for (let i = 0; i < 400; i++) {
      const rows = await sql(
        db.url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()`,
      );
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await sql(db.url, `INSERT INTO users (email) VALUES ('written-during-the-deploy@x.org')`);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /not restored: it cannot be proven that nothing but the migrations wrote since the backup \(checked while writes are blocked\): public\.users: not in the backup, and 1 row\(s\) in it were written by other transactions/,
    );
    expect(await sql(db.url, `SELECT email FROM users`)).toEqual([
      { email: 'written-during-the-deploy@x.org' },
    ]);
    expect(existsSync(p.marker)).toBe(false);
  });
});
