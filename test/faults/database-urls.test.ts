/**
 * A database URL only a guess could read — a password written without percent-encoding, several
 * hosts — gets a clear error (exit 2, the problem and the fix, never the password) from every
 * command that takes one, never an internal error (exit 70), and touches nothing; a URL with one
 * reading (raw spaces, `options=-c app.tag=x`, libpq key=value) works, and its password
 * stays out of every argv.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { tempDir } from '../support/files.js';
import { ACCOUNTS_MIGRATION, useHostileRole } from './hostile-password.js';
import { sql, useOwnCluster, watchArgv, withDatabase } from './support.js';

const own = useOwnCluster();
const { role: ROLE, password: PASSWORD, core: CORE } = useHostileRole(own);

describe('a URL only a guess could read: a clear error from every command, never exit 70', () => {
  // the role's password written without percent-encoding, in the forms people paste
  const unencoded = (db: string) => [
    `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${own.cluster.port}/${db}`,
    `postgres://${ROLE}:${CORE}%zz@127.0.0.1:${own.cluster.port}/${db}`,
    `postgres://${ROLE}:${CORE}/x@127.0.0.1:${own.cluster.port}/${db}`,
    `postgres://${ROLE}:${CORE}@x@127.0.0.1:${own.cluster.port}/${db}`,
    `postgres://${ROLE}@127.0.0.1:${own.cluster.port},127.0.0.1:1/${db}`,
  ];
  const commands: string[][] = [
    ['migrate'],
    ['backup', 'create'],
    ['restore', 'BACKUP', '--preview', '--backup-dir', 'taken'],
    ['deploy', '--format', 'plain', '--', process.execPath, '-e', 'process.exit(0)'],
    ['drift'],
    ['lint', 'migrations'],
    ['trace', 'trace.sql'],
    ['status'],
  ];

  it('exit 2 naming the problem and the fix, no password, no backup directory, nothing applied', async () => {
    const { name } = await own.createDatabase();
    const project = tempDir({
      'migrations/001_accounts.sql': ACCOUNTS_MIGRATION,
      'trace.sql': 'SELECT 1;\n',
    });
    const backups = join(project, 'backups');
    // a backup to preview, taken with a good URL
    const taken = await pgwarden(['backup', 'create', '--backup-dir', 'taken', '--json'], {
      cwd: project,
      env: { DATABASE_URL: withDatabase(own.url, name) },
    });
    expect(taken.code, taken.stderr).toBe(0);
    const id = JSON.parse(taken.stdout).backup.id as string;
    const urls = unencoded(name);
    // every command with the pasted password and one other form in turn (the unit tests have them all)
    for (const [i, command] of commands.entries()) {
      const args = command.map((arg) => (arg === 'BACKUP' ? id : arg));
      for (const url of [urls[0]!, urls[1 + (i % (urls.length - 1))]!]) {
        const result = await pgwarden(args, {
          cwd: project,
          env: { DATABASE_URL: url, BACKUP_DIR: backups },
        });
        const what = `${args.join(' ')} with ${url.replace(CORE, 'CORE')}`;
        expect(result.code, `${what}\n${result.stderr}`).toBe(2);
        expect(result.stderr, what).toMatch(/(^pgwarden: | {2}- )(the database URL|DATABASE_URL)/m);
        expect(result.stderr, what).toMatch(/percent-encode|one host/i);
        expect(result.stderr, what).not.toContain('internal error');
        expect(`${result.stdout}${result.stderr}`, what).not.toContain(CORE);
      }
    }
    // --database-url (lint), and the doctor, which reports it as its failing connection check
    const lint = await pgwarden(['lint', '--database-url', urls[0]!, 'migrations'], { cwd: project });
    expect(lint.code, lint.stderr).toBe(2);
    expect(lint.stderr).toMatch(/^pgwarden: --database-url cannot be read: it contains a "#"/m);
    expect(lint.stderr).not.toContain(CORE);
    const doctor = await pgwarden(['doctor', '--json', '--check', 'connection'], {
      cwd: project,
      env: { DATABASE_URL: urls[1]! },
    });
    expect(doctor.code).toBe(1);
    const check = JSON.parse(doctor.stdout).checks[0];
    expect(check).toMatchObject({ id: 'connection', status: 'fail' });
    expect(check.summary).toMatch(/the database URL cannot be read: the password contains a "%"/);
    expect(doctor.stdout + doctor.stderr).not.toContain(CORE);

    expect(existsSync(backups)).toBe(false);
    const [tables] = await sql<{ n: string }>(
      withDatabase(own.url, name),
      `SELECT count(*)::text AS n FROM pg_class WHERE relname = 'accounts' OR relnamespace::regnamespace::text = 'pgwarden'`,
    );
    expect(tables!.n).toBe('0');
  }, 240_000);

  it('what has one reading works: raw spaces in the password and in options=-c …=…, libpq key=value', async () => {
    await sql(own.url, `CREATE ROLE spaced_app LOGIN SUPERUSER PASSWORD 'two words ${CORE}'`);
    const { name } = await own.createDatabase();
    // the migration records a setting that only the URL's options give
    const project = tempDir({
      'migrations/001_accounts.sql': `${ACCOUNTS_MIGRATION}CREATE TABLE tags AS SELECT current_setting('app.tag', true) AS tag;\n`,
    });
    const port = own.cluster.port;
    const urls = [
      `postgres://spaced_app:two words ${CORE}@127.0.0.1:${port}/${name}?options=-c app.tag=fault42 -c statement_timeout=5min`,
      `host=127.0.0.1 port=${port} user=spaced_app password='two words ${CORE}' dbname=${name} options='-c app.tag=fault42'`,
    ];
    for (const url of urls) {
      const env = { DATABASE_URL: url, BACKUP_DIR: join(project, 'backups') };
      const watch = watchArgv(CORE);
      const migrate = await pgwarden(['migrate'], { cwd: project, env });
      const backup = await pgwarden(['backup', 'create'], { cwd: project, env });
      const drift = await pgwarden(['drift'], { cwd: project, env });
      const scan = watch.stop();
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(backup.code, backup.stderr).toBe(0);
      expect(drift.code, drift.stderr).toBe(0);
      expect(scan.hits).toEqual([]);
      for (const r of [migrate, backup, drift]) expect(r.stdout + r.stderr).not.toContain(CORE);
    }
    const live = withDatabase(own.url, name);
    expect(await sql(live, 'SELECT tag FROM tags')).toEqual([{ tag: 'fault42' }]);
    expect(await sql(live, 'SELECT count(*)::int AS n FROM accounts')).toEqual([{ n: 200 }]);
  }, 240_000);
});
