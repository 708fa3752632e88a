/**
 * The password of the database URL never appears in the argv of the programs pgwarden spawns,
 * in their environment other than PGPASSWORD, in pgwarden's output and errors, or in any file of
 * the backup directory; every file there is 0600. The programs are wrapped by shims that log
 * their arguments and environment (without PGPASSWORD, which is where the password belongs).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { shimDir } from '../support/pg-shims.js';

const db = useTestDatabase();

beforeAll(async () => {
  await db.query(`CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 50)`);
});

function logging(program: string, log: string): string {
  return `{ printf '%s\\n' "${program} $*"; env | grep -v '^PGPASSWORD='; } >> '${log}'
exec "$REAL/${program}" "$@"`;
}

describe('secrets', () => {
  it('no password in argv, logs, manifests, errors; backup files are 0600', async () => {
    const password = new URL(db.url).password;
    expect(password.length).toBeGreaterThan(8);
    const work = tempDir();
    const log = join(work, 'spawned.log');
    const bin = shimDir({
      pg_dump: logging('pg_dump', log),
      pg_restore: logging('pg_restore', log),
      psql: logging('psql', log),
      pg_dumpall: logging('pg_dumpall', log),
    });
    const dir = join(work, 'backups');
    const env = { DATABASE_URL: db.url, PG_BIN: bin };
    const outputs: string[] = [];
    const cli = async (args: string[], expected: number) => {
      const result = await pgwarden(args, { env });
      outputs.push(result.stdout, result.stderr);
      expect(result.code, result.stderr).toBe(expected);
      return result;
    };
    await cli(['backup', 'create', '--backup-dir', dir, '--globals', '--json'], 0);
    await cli(['backup', 'verify', '--backup-dir', dir, '--restore-test', '--json'], 0);
    await cli(['backup', 'list', '--backup-dir', dir, '--json'], 0);
    const id = JSON.parse((await cli(['backup', 'list', '--backup-dir', dir, '--json'], 0)).stdout).backups[0]
      .id;
    await cli(['restore', id, '--backup-dir', dir, '--preview', '--json'], 0);
    await cli(
      [
        'restore',
        id,
        '--backup-dir',
        dir,
        '--countdown',
        '0',
        '--confirm',
        db.name,
        '--terminate-sessions',
        '--json',
      ],
      0,
    );
    // failures print the target, never the password
    const bad = new URL(db.url);
    bad.port = '1';
    const failed = await pgwarden(['backup', 'create', '--backup-dir', dir, '--verbose'], {
      env: { ...env, DATABASE_URL: bad.toString() },
    });
    outputs.push(failed.stdout, failed.stderr);
    expect(failed.code).toBe(3);

    const spawned = readFileSync(log, 'utf8');
    for (const program of ['pg_dump ', 'pg_restore ', 'psql ', 'pg_dumpall '])
      expect(spawned).toContain(program);
    expect(spawned.split('\n').filter((line) => line.includes(password))).toEqual([]);
    for (const text of outputs) expect(text).not.toContain(password);
    const files = readdirSync(dir);
    expect(files.some((f) => f.endsWith('.globals.sql'))).toBe(true);
    for (const file of files) {
      const path = join(dir, file);
      expect(statSync(path).mode & 0o777, file).toBe(0o600);
      expect(readFileSync(path).includes(password), file).toBe(false);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
