/**
 * `pgwarden doctor` through the real CLI: one line per check with evidence and the fix for
 * problems, the summary line, exit 1 on a failed check (an unreachable database included), 0 with
 * warnings only, `--json`, `--check`, and bad config as exit 2 — never a password in the output.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';

const freshDatabase = useFreshDatabases();

function project(config?: object): string {
  const dir = tempDir({
    'migrations/001_users.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text);\n',
    ...(config ? { 'pgwarden.config.json': JSON.stringify(config) } : {}),
  });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  return dir;
}

const CHECKS = ['--check', 'migrations', 'migrations-git', 'invalid-indexes', 'deploy-window'];

describe('pgwarden doctor', () => {
  it('all good: one ✓ line per check, the summary, exit 0', async () => {
    const db = await freshDatabase();
    const dir = project();
    const result = await pgwarden(['doctor', '--format', 'plain', ...CHECKS], {
      cwd: dir,
      env: { DATABASE_URL: db.url },
    });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^✓ connection +connected to /m);
    expect(result.stdout).toMatch(/^✓ migrations +0 applied, 1 pending: deploy applies them$/m);
    expect(result.stdout).toMatch(/^✓ migrations-git +1 migration file\(s\) in migrations committed$/m);
    expect(result.stdout).toContain('doctor: 5 passed, 0 warning(s), 0 failed, 0 skipped — ready');
  });

  it('a failed check: its evidence and fix are printed, exit 1; --json gives the same as a document', async () => {
    const db = await freshDatabase();
    await sqlOn(db.url, "CREATE TABLE t (v text); INSERT INTO t VALUES ('x'), ('x')");
    await sqlOn(db.url, 'CREATE UNIQUE INDEX CONCURRENTLY t_v ON t (v)').catch(() => undefined);
    const dir = project();
    const env = { DATABASE_URL: db.url };
    const text = await pgwarden(['doctor', '--check', 'invalid-indexes'], { cwd: dir, env });
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain('✗ invalid-indexes    1 INVALID index(es): public.t_v');
    expect(text.stdout).toContain(
      '    public.t_v on public.t: CREATE UNIQUE INDEX t_v ON public.t USING btree (v)',
    );
    expect(text.stdout).toContain('    fix: REINDEX INDEX CONCURRENTLY "public"."t_v";');
    expect(text.stdout).toContain('— not ready to deploy');

    const json = await pgwarden(['doctor', '--check', 'invalid-indexes', '--json'], { cwd: dir, env });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.counts).toEqual({ pass: 1, warn: 0, fail: 1, skip: 0 });
    expect(doc.checks.map((c: { id: string }) => c.id)).toEqual(['connection', 'invalid-indexes']);
    expect(doc.checks[1]).toMatchObject({
      id: 'invalid-indexes',
      title: 'INVALID indexes',
      status: 'fail',
      level: 'fail',
      evidence: [expect.stringContaining('public.t_v')],
      fix: expect.stringContaining('REINDEX'),
    });
  });

  it('warnings only: exit 0, the fix shown, "ready, with warnings"', async () => {
    const dir = project({
      deploy: {
        windows: {
          timezone: 'UTC',
          freeze: [{ from: '2020-01-01', to: '2999-01-01', reason: 'forever' }],
        },
      },
    });
    const result = await pgwarden(['doctor', '--check', 'deploy-window'], {
      cwd: dir,
      env: { DATABASE_URL: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^! deploy-window +deploys are refused now: .*forever/m);
    expect(result.stdout).toContain('    fix: ');
    expect(result.stdout).toContain('ready, with warnings');
  });

  it('an unreachable database is a failed check (exit 1), the password never printed', async () => {
    const dir = project();
    const result = await pgwarden(['doctor', '--check', 'migrations', '--json'], {
      cwd: dir,
      env: { DATABASE_URL: 'postgres://app:s3cretPassw0rd@127.0.0.1:1/shop' },
    });
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout);
    expect(doc.checks).toMatchObject([
      { id: 'connection', status: 'fail' },
      { id: 'migrations', status: 'skip', summary: 'no database connection' },
    ]);
    expect(result.stdout + result.stderr).not.toContain('s3cretPassw0rd');
  });

  it('bad input: an unknown check or a typo in doctor.checks is exit 2 with the known ids', async () => {
    const dir = project();
    const unknown = await pgwarden(['doctor', '--check', 'backups'], { cwd: dir, env: {} });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown doctor check: backups');
    expect(unknown.stderr).toContain('backup-age');
    writeFileSync(
      join(dir, 'pgwarden.config.json'),
      JSON.stringify({ doctor: { checks: { conection: 'off' } } }),
    );
    const typo = await pgwarden(['doctor'], { cwd: dir, env: {} });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('doctor.checks: unknown check id "conection"');
    const level = await pgwarden(['doctor'], {
      cwd: tempDir({
        'pgwarden.config.json': JSON.stringify({ doctor: { checks: { connection: 'maybe' } } }),
      }),
      env: {},
    });
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('doctor.checks');
  });
});
