/**
 * `restore` end to end with the CLI on real databases: the preview (no side effects), the
 * confirmation, the safety backup, the one-transaction restore that removes what was created
 * after the backup and brings back what was dropped, post-checks; foreign dumps (plain SQL and
 * custom archives without a manifest); and the refusals, each leaving the database unchanged.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { forLibpq } from '../../src/db/libpq.js';
import { pgwarden, pgwardenProcess } from '../support/cli.js';
import { sqlOn, useFreshDatabases } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { realBinDir } from '../support/pg-shims.js';

const freshDatabase = useFreshDatabases();
const sql = sqlOn;

/** A fingerprint of the database: tables with row counts, and schemas. */
async function state(url: string): Promise<Record<string, number | string>> {
  const tables = await sql<{ t: string }>(
    url,
    `SELECT format('%I.%I', schemaname, relname) AS t FROM pg_stat_user_tables ORDER BY 1`,
  );
  const out: Record<string, number | string> = {};
  for (const { t } of tables)
    out[t] = Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM ${t}`))[0]!.n);
  out.schemas = (
    await sql<{ s: string }>(
      url,
      `SELECT string_agg(nspname, ',' ORDER BY nspname) AS s FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'`,
    )
  )[0]!.s;
  return out;
}

const SETUP = `
  CREATE EXTENSION IF NOT EXISTS pgcrypto;
  CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, token text DEFAULT encode(gen_random_bytes(4), 'hex'));
  INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 500) g;
  CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id int REFERENCES accounts, total int);
  INSERT INTO orders (account_id, total) SELECT 1 + g % 500, g FROM generate_series(1, 2000) g;
  CREATE SCHEMA reporting;
  CREATE VIEW reporting.totals AS SELECT account_id, sum(total) FROM orders GROUP BY 1;
  SELECT lo_from_bytea(0, 'large object');`;

/** What the application does after the backup: writes, a new table, a dropped one, a new schema. */
const AFTER = `
  INSERT INTO accounts (name) SELECT 'late' || g FROM generate_series(1, 25) g;
  DELETE FROM orders WHERE id <= 100;
  CREATE TABLE added_later (x int);
  INSERT INTO added_later VALUES (1);
  DROP VIEW reporting.totals;
  CREATE SCHEMA scratchpad;`;

describe('restore', () => {
  let target: { name: string; url: string };
  let dir: string;
  let backupId: string;
  let atBackup: Record<string, number | string>;

  beforeAll(async () => {
    target = await freshDatabase();
    await sql(target.url, SETUP);
    dir = join(tempDir(), 'backups');
    backupId = (await createBackup({ databaseUrl: target.url, dir })).manifest.id;
    atBackup = await state(target.url);
    await sql(target.url, AFTER);
  });

  it('--preview shows live and backup rows with deltas, and changes nothing', async () => {
    const before = await state(target.url);
    const result = await pgwarden(['restore', backupId, '--backup-dir', dir, '--preview'], {
      env: { DATABASE_URL: target.url },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Restore backup ${backupId}`);
    expect(result.stdout).toMatch(/accounts\s+525\s+500\s+-25/);
    expect(result.stdout).toMatch(/orders\s+1900\s+2000\s+\+100/);
    expect(result.stdout).toMatch(/added_later\s+1\s+—\s+table dropped/);
    expect(result.stdout).toContain('rows written since the backup');
    expect(await state(target.url)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.manifest.json'))).toHaveLength(1);

    const json = await pgwarden(['restore', backupId, '--backup-dir', dir, '--preview', '--json'], {
      env: { DATABASE_URL: target.url },
    });
    const { preview } = JSON.parse(json.stdout);
    expect(preview.tables.find((t: { name: string }) => t.name === 'accounts')).toEqual({
      schema: 'public',
      name: 'accounts',
      live: 525,
      liveEstimated: false,
      backup: 500,
      delta: -25,
    });
    expect(preview.source).toMatchObject({
      id: backupId,
      verified: true,
      reason: 'manual',
      database: target.name,
    });
    expect(preview.problems).toEqual([]);
  });

  it('refuses without a confirmation when no one can type (exit 2), and with a wrong one', async () => {
    const before = await state(target.url);
    const none = await pgwarden(['restore', backupId, '--backup-dir', dir, '--countdown', '0'], {
      env: { DATABASE_URL: target.url },
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`confirm by typing its name`);
    expect(none.stderr).toContain(`--confirm ${target.name}`);
    const wrong = await pgwarden(
      ['restore', backupId, '--backup-dir', dir, '--countdown', '0', '--confirm', 'postgres'],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `"postgres" is not the target database "${target.name}": nothing was changed`,
    );
    expect(await state(target.url)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.manifest.json'))).toHaveLength(1);
  });

  it('refuses while other sessions are connected (exit 3) unless told to disconnect them', async () => {
    const app = new pg.Client({ connectionString: target.url, application_name: 'the-app' });
    await app.connect();
    app.on('error', () => undefined);
    try {
      const before = await state(target.url);
      const result = await pgwarden(
        ['restore', backupId, '--backup-dir', dir, '--countdown', '0', '--confirm', target.name],
        {
          env: { DATABASE_URL: target.url },
        },
      );
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('other session(s) are connected');
      expect(result.stderr).toContain('the-app');
      expect(await state(target.url)).toEqual(before);
    } finally {
      await app.end().catch(() => undefined);
    }
  });

  it('cancelled during the countdown (Ctrl-C): exit 130, nothing changed, no safety backup', async () => {
    const before = await state(target.url);
    const run = pgwardenProcess(
      ['restore', backupId, '--backup-dir', dir, '--countdown', '30', '--confirm', target.name],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    let seen = '';
    await new Promise<void>((resolve) => {
      run.child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('restoring in')) resolve();
      });
    });
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('cancelled during the countdown: nothing was changed');
    expect(await state(target.url)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.manifest.json'))).toHaveLength(1);
  });

  it('restores the backup in one transaction, after a verified safety backup, and checks it', async () => {
    const result = await pgwarden(
      ['restore', backupId, '--backup-dir', dir, '--countdown', '0', '--confirm', target.name, '--json'],
      { env: { DATABASE_URL: target.url } },
    );
    expect(result.stderr).not.toContain('pgwarden:');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout).restore;
    expect(out).toMatchObject({ database: target.name, tables: 2, rows: 2500 });
    expect(await state(target.url)).toEqual(atBackup);
    // sequences and identities continue after the restored rows
    const next = await sql<{ a: number; o: string }>(
      target.url,
      `INSERT INTO accounts (name) VALUES ('new') RETURNING id AS a`,
    );
    expect(next[0]!.a).toBe(501);
    expect(await sql(target.url, `SELECT count(*)::int AS n FROM pg_largeobject_metadata`)).toEqual([
      { n: 1 },
    ]);
    expect(await sql(target.url, `SELECT count(*)::int AS n FROM reporting.totals`)).toEqual([{ n: 500 }]);
    // the safety backup holds the state before the restore, verified
    const list = JSON.parse(
      (await pgwarden(['backup', 'list', '--backup-dir', dir, '--json'], { env: {} })).stdout,
    );
    const safety = list.backups.find((b: { id: string }) => b.id === out.safetyBackup.id);
    expect(safety).toMatchObject({ reason: 'pre-restore', verified: 'yes' });
    expect(safety.rows).toBe(525 + 1900 + 1);
    await sql(target.url, `DELETE FROM accounts WHERE name = 'new'`);
  });
});

describe('restore refusals and failures', () => {
  it('refuses a backup of another database (exit 2) and leaves the target unchanged', async () => {
    const source = await freshDatabase();
    await sql(source.url, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    const other = await freshDatabase();
    await sql(other.url, 'CREATE TABLE mine (x int); INSERT INTO mine VALUES (1), (2)');
    const dir = join(tempDir(), 'backups');
    const { manifest } = await createBackup({ databaseUrl: source.url, dir });
    const before = await state(other.url);
    const result = await pgwarden(
      ['restore', manifest.id, '--backup-dir', dir, '--countdown', '0', '--confirm', other.name],
      {
        env: { DATABASE_URL: other.url },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `the backup is of database "${source.name}", the target is "${other.name}"`,
    );
    expect(result.stderr).toContain('--allow-other-database');
    expect(await state(other.url)).toEqual(before);
  });

  it('refuses a corrupted archive before changing anything', async () => {
    const target = await freshDatabase();
    await sql(target.url, 'CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)');
    const dir = join(tempDir(), 'backups');
    const { manifest, path } = await createBackup({ databaseUrl: target.url, dir });
    execFileSync('truncate', ['-s', String(Math.floor(manifest.size / 2)), path]);
    await sql(target.url, 'INSERT INTO t VALUES (0)');
    const result = await pgwarden(
      ['restore', manifest.id, '--backup-dir', dir, '--countdown', '0', '--confirm', target.name],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('restore refused, nothing was changed');
    expect(await sql(target.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 1001 }]);
  });

  it('restores a foreign plain SQL dump, counting its rows by streaming', async () => {
    const target = await freshDatabase();
    await sql(
      target.url,
      `CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, E'a\\nb' FROM generate_series(1, 300) g`,
    );
    const dir = tempDir();
    const file = join(dir, 'plain.sql');
    const libpq = forLibpq(target.url);
    execFileSync(join(realBinDir(), 'pg_dump'), ['-Fp', '-f', file, '--dbname', libpq.url], {
      env: { ...process.env, PGPASSWORD: libpq.password },
    });
    await sql(target.url, 'DELETE FROM t WHERE id > 100; CREATE TABLE later (x int)');
    const preview = await pgwarden(['restore', file, '--preview', '--json', '--backup-dir', join(dir, 'b')], {
      env: { DATABASE_URL: target.url },
    });
    expect(preview.code).toBe(0);
    const p = JSON.parse(preview.stdout).preview;
    expect(p.source).toMatchObject({ kind: 'plain', id: null, countsFrom: 'archive' });
    expect(p.tables).toContainEqual({
      schema: 'public',
      name: 't',
      live: 100,
      liveEstimated: false,
      backup: 300,
      delta: 200,
    });
    expect(p.warnings.join()).toContain('does not say which database');
    const result = await pgwarden(
      ['restore', file, '--countdown', '0', '--confirm', target.name, '--backup-dir', join(dir, 'b')],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(result.stderr).not.toContain('pgwarden:');
    expect(result.code).toBe(0);
    expect(await state(target.url)).toEqual({ 'public.t': 300, schemas: 'public' });
  });

  it('refuses a custom archive without a manifest when its header names another database', async () => {
    const source = await freshDatabase();
    await sql(source.url, 'CREATE TABLE t (x int)');
    const target = await freshDatabase();
    const dir = tempDir();
    const file = join(dir, 'other.dump');
    const libpq = forLibpq(source.url);
    execFileSync(join(realBinDir(), 'pg_dump'), ['-Fc', '-f', file, '--dbname', libpq.url], {
      env: { ...process.env, PGPASSWORD: libpq.password },
    });
    const result = await pgwarden(['restore', file, '--preview'], { env: { DATABASE_URL: target.url } });
    // the preview lists the refusal and exits as `restore` would: BACKUP_FOREIGN is a usage error
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`refused: the backup is of database "${source.name}"`);
    const real = await pgwarden(
      ['restore', file, '--countdown', '0', '--confirm', target.name, '--backup-dir', join(dir, 'b')],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(real.code).toBe(2);
  });

  it('refuses files that are not PostgreSQL dumps (SQLite) with a clear message', async () => {
    const target = await freshDatabase();
    const dir = tempDir({ 'app.db': Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(100)]) });
    const result = await pgwarden(['restore', join(dir, 'app.db'), '--preview'], {
      env: { DATABASE_URL: target.url },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a SQLite database; it cannot be restored');
  });

  it('restores a custom-format dump of this database made without pgwarden (no manifest)', async () => {
    const target = await freshDatabase();
    await sql(target.url, 'CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 40)');
    const dir = tempDir();
    const file = join(dir, 'nightly.dump');
    const libpq = forLibpq(target.url);
    execFileSync(join(realBinDir(), 'pg_dump'), ['-Fc', '-f', file, '--dbname', libpq.url], {
      env: { ...process.env, PGPASSWORD: libpq.password },
    });
    await sql(target.url, 'TRUNCATE t');
    const result = await pgwarden(
      [
        'restore',
        file,
        '--countdown',
        '0',
        '--confirm',
        target.name,
        '--backup-dir',
        join(dir, 'b'),
        '--json',
      ],
      { env: { DATABASE_URL: target.url } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).restore.source).toMatchObject({
      id: null,
      kind: 'custom',
      countsFrom: 'archive',
    });
    expect(await sql(target.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 40 }]);
  });

  it('asks for the admin password when restore.passwordHash is configured', async () => {
    const target = await freshDatabase();
    await sql(target.url, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    const dir = tempDir();
    const hashed = await pgwarden(['hash-password'], { env: {}, input: 'correct horse\n' });
    expect(hashed.code).toBe(0);
    const hash = hashed.stdout.trim();
    expect(hash).toMatch(/^scrypt\$/);
    expect(hash).not.toContain('correct horse');
    writeFileSync(
      join(dir, 'pgwarden.config.json'),
      JSON.stringify({ restore: { passwordHash: hash, countdown: 0 } }),
    );
    const { manifest } = await createBackup({ databaseUrl: target.url, dir: join(dir, 'backups') });
    await sql(target.url, 'INSERT INTO t VALUES (2)');
    const args = ['restore', manifest.id, '--confirm', target.name];
    const missing = await pgwarden(args, { cwd: dir, env: { DATABASE_URL: target.url } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('restore needs the admin password');
    const wrong = await pgwarden(args, {
      cwd: dir,
      env: { DATABASE_URL: target.url, PGWARDEN_ADMIN_PASSWORD: 'nope' },
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the admin password is wrong: nothing was changed');
    expect(await sql(target.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 2 }]);
    const right = await pgwarden(args, {
      cwd: dir,
      env: { DATABASE_URL: target.url, PGWARDEN_ADMIN_PASSWORD: 'correct horse' },
    });
    expect(right.code, right.stderr).toBe(0);
    expect(await sql(target.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 1 }]);
  });

  it('rejects a config whose passwordHash is not a hash (exit 2)', async () => {
    const target = await freshDatabase();
    const dir = tempDir({ 'pgwarden.config.json': JSON.stringify({ restore: { passwordHash: 'hunter2' } }) });
    const result = await pgwarden(['restore', 'x', '--preview'], {
      cwd: dir,
      env: { DATABASE_URL: target.url },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'restore.passwordHash: not a password hash; make one with pgwarden hash-password',
    );
  });

  it('refuses an archive written by a newer pg_dump than the local pg_restore reads (exit 3)', async () => {
    const target = await freshDatabase();
    await sql(target.url, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    const dir = tempDir();
    const file = join(dir, 'newer.dump');
    const libpq = forLibpq(target.url);
    execFileSync(join(realBinDir(), 'pg_dump'), ['-Fc', '-f', file, '--dbname', libpq.url], {
      env: { ...process.env, PGPASSWORD: libpq.password },
    });
    // archive version 1.14 (pg_dump 12-15) becomes 1.16, which only pg_restore 17 and newer read:
    // from 1.15 the compression is one byte (1 = gzip) instead of an int (a sign byte and 4 bytes)
    const bytes = readFileSync(file);
    expect([...bytes.subarray(5, 8)]).toEqual([1, 14, 0]);
    const newer = Buffer.concat([bytes.subarray(0, 11), Buffer.from([1]), bytes.subarray(16)]);
    newer[6] = 16;
    writeFileSync(file, newer);
    const result = await pgwarden(
      ['restore', file, '--countdown', '0', '--confirm', target.name, '--backup-dir', join(dir, 'b')],
      {
        env: { DATABASE_URL: target.url },
      },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the archive (format 1.16.0) needs pg_restore 17 or newer');
    expect(result.stderr).toContain('postgresql-client-17');
    expect(await sql(target.url, 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 1 }]);
  });
});
