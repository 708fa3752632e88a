/**
 * How backups and restores fail, with fake client programs (PG_BIN shims) and resource limits:
 * pg_dump killed midway, a silently truncated dump, the file-size limit hit, pg_dump missing or
 * too old, a restore that fails halfway. Every case: a clear message, a non-zero exit, no file left
 * that looks like a backup, and the live database unchanged.
 */

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { CLI, type CliResult, pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { FILE_ARG, shimDir } from '../support/pg-shims.js';

const db = useTestDatabase();

beforeAll(async () => {
  await db.query(`
    CREATE TABLE big (id int, payload text);
    INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 60000) g;
    CREATE TABLE small (x int);
    INSERT INTO small VALUES (1), (2), (3);`);
});

const backup = (dir: string, env: NodeJS.ProcessEnv = {}) =>
  pgwarden(['backup', 'create', '--backup-dir', dir], { env: { DATABASE_URL: db.url, ...env } });

describe('backup create failures', () => {
  it('pg_dump killed midway: exit 1 naming the signal, no partial file, no manifest', async () => {
    const bin = shimDir({
      pg_dump: `case "$1" in --version) exec "$REAL/pg_dump" "$@";; esac
${FILE_ARG}
"$REAL/pg_dump" "$@" || exit $?
truncate -s 20000 "$FILE"
kill -9 $$`,
    });
    const dir = join(tempDir(), 'backups');
    const result = await backup(dir, { PG_BIN: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pg_dump was killed by SIGKILL');
    expect(result.stderr).toContain('Nothing was published');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a dump truncated while pg_dump reports success is caught by the read-back', async () => {
    const bin = shimDir({
      pg_dump: `case "$1" in --version) exec "$REAL/pg_dump" "$@";; esac
${FILE_ARG}
"$REAL/pg_dump" "$@" || exit $?
truncate -s 30000 "$FILE"`,
    });
    const dir = join(tempDir(), 'backups');
    const result = await backup(dir, { PG_BIN: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the new backup does not read back as dumped');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the file-size limit is hit during the dump (like a full disk): exit 1, nothing left', async () => {
    const dir = join(tempDir(), 'backups');
    const result = await new Promise<CliResult>((resolve) => {
      // prlimit sets RLIMIT_FSIZE for pgwarden and, inherited, for pg_dump
      const child = spawn(
        'prlimit',
        ['--fsize=200000', process.execPath, CLI, 'backup', 'create', '--backup-dir', dir],
        {
          env: { ...process.env, DATABASE_URL: db.url, NO_COLOR: '1' },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SIGXFSZ|File too large/);
    expect(result.stderr).toContain('file-size limit');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('pg_dump missing: exit 3 with the server version and the package to install', async () => {
    const bin = shimDir({}, { omit: ['pg_dump'] });
    const dir = join(tempDir(), 'backups');
    const result = await backup(dir, { PG_BIN: bin });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`pg_dump was not found (PG_BIN=${bin})`);
    expect(result.stderr).toContain('postgresql-client-15');
  });

  it('pg_dump older than the server: exit 3 naming both versions', async () => {
    const bin = shimDir({
      pg_dump: `case "$1" in --version) echo "pg_dump (PostgreSQL) 14.12"; exit 0;; esac
echo "pg_dump: error: aborting because of server version mismatch" >&2; exit 1`,
    });
    const dir = join(tempDir(), 'backups');
    const result = await backup(dir, { PG_BIN: bin });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      'the server runs PostgreSQL 15, and no pg_dump of version 15 or newer was found',
    );
    expect(result.stderr).toContain('(14)');
    expect(result.stderr).toContain('apt-get install postgresql-client-15');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('restore failing halfway', () => {
  it.each([
    ['pg_restore stops in the middle of the archive', `"$REAL/pg_restore" "$@" | head -c 1500; exit 1`],
    [
      'the last statement fails after everything was dropped and recreated',
      `"$REAL/pg_restore" "$@"; echo 'SELECT 1/0;'`,
    ],
  ])('%s: exit 1, rolled back, and the command to restore the safety backup', async (_, failing) => {
    const url = db.url;
    const dir = join(tempDir(), 'backups');
    const { manifest } = await createBackup({ databaseUrl: url, dir });
    // --terminate-sessions disconnects every other session, so each step uses a new connection
    const app = await db.connect();
    await app.query('INSERT INTO small VALUES (4); CREATE TABLE IF NOT EXISTS after_backup (x int)');
    const before = (await app.query('SELECT count(*)::int AS n FROM small')).rows[0].n;
    const bin = shimDir({
      pg_restore: `case " $* " in *" --file=- "*) ;; *) exec "$REAL/pg_restore" "$@";; esac
${failing}`,
    });
    const result = await pgwarden(
      [
        'restore',
        manifest.id,
        '--backup-dir',
        dir,
        '--countdown',
        '0',
        '--confirm',
        db.name,
        '--terminate-sessions',
      ],
      { env: { DATABASE_URL: url, PG_BIN: bin } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('restore failed and was rolled back');
    expect(result.stderr).toMatch(
      /pgwarden restore \d{8}T\d{6}Z-pgwarden_test_\w+ --backup-dir \S+ --confirm pgwarden_test_\w+/,
    );
    const check = await db.connect();
    expect((await check.query('SELECT count(*)::int AS n FROM small')).rows[0].n).toBe(before);
    expect((await check.query(`SELECT to_regclass('after_backup') IS NOT NULL AS there`)).rows[0].there).toBe(
      true,
    );
  });
});
