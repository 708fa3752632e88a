/**
 * `backup create` and `backup verify` on a real server: the manifest (identity, versions, sha256,
 * exact row counts from the dump's own snapshot), modes 0600/0700, no partial file left, the
 * directory format with parallel jobs, globals, --restore-test, the lock-wait timeout, and bad
 * input. Damaged archives (truncated, cut short, bit-flipped…) are in test/faults/backup-archives.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { readManifest } from '../../src/backup/manifest.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';

const db = useTestDatabase();

beforeAll(async () => {
  await db.query(`
    CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, note text);
    INSERT INTO users (email, note) SELECT 'u' || g || '@example.org', E'line one\\nline two\\ttab' FROM generate_series(1, 20000) g;
    CREATE SCHEMA "My Schema";
    CREATE TABLE "My Schema"."Weird Name" (x int);
    INSERT INTO "My Schema"."Weird Name" SELECT generate_series(1, 7);
    CREATE TABLE empty_table (x int);
    CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    INSERT INTO events SELECT g, date '2025-06-01' + (g % 400) FROM generate_series(1, 1000) g;
  `);
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('backup create', () => {
  it('publishes a verified archive and a manifest with exact counts, identity and checksums', async () => {
    const dir = join(tempDir(), 'backups');
    const result = await createBackup({ databaseUrl: db.url, dir });
    const m = result.manifest;
    expect(readdirSync(dir).sort()).toEqual([`${m.id}.dump`, `${m.id}.manifest.json`]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(result.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, `${m.id}.manifest.json`)).mode & 0o777).toBe(0o600);
    expect(m.database.name).toBe(db.name);
    const oid = (await db.query('SELECT oid::int AS oid FROM pg_database WHERE datname = current_database()'))
      .rows[0].oid;
    expect(m.database.oid).toBe(oid);
    expect(m.server.version).toMatch(/^15\./);
    expect(m.pgDumpVersion).toMatch(/^\d+\.\d+/);
    expect(m.reason).toBe('manual');
    expect(m.size).toBe(statSync(result.path).size);
    expect(m.sha256).toBe(sha256(result.path));
    expect(m.verification).toMatchObject({ ok: true, method: 'full-read', problems: [] });
    expect(m.snapshot.walLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // the snapshot's transaction ids: xmin:xmax:ids in progress
    expect(m.snapshot.txid).toMatch(/^\d+:\d+:[\d,]*$/);
    const rows = Object.fromEntries(m.tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));
    expect(rows).toEqual({
      'My Schema.Weird Name': 7,
      'public.empty_table': 0,
      'public.events_2025': (await db.query(`SELECT count(*)::int AS n FROM events_2025`)).rows[0].n,
      'public.events_2026': (await db.query(`SELECT count(*)::int AS n FROM events_2026`)).rows[0].n,
      'public.users': 20000,
    });
    expect(await readManifest(dir, m.id)).toEqual(m);
  });

  it('counts rows in the dump’s own snapshot while the application keeps writing', async () => {
    const dir = join(tempDir(), 'backups');
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    let writing = true;
    const loop = (async () => {
      while (writing)
        await writer.query(`INSERT INTO users (email) SELECT 'w@example.org' FROM generate_series(1, 50)`);
    })();
    try {
      const result = await createBackup({ databaseUrl: db.url, dir });
      // verification compared the archive's rows with the snapshot's counts: equal despite the writes
      expect(result.manifest.verification?.ok).toBe(true);
    } finally {
      writing = false;
      await loop;
      await writer.end();
    }
    const live = (await db.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
    expect(live).toBeGreaterThan(20000);
  });

  it('writes the directory format with parallel jobs, with a checksum per file', async () => {
    const dir = join(tempDir(), 'backups');
    const result = await createBackup({ databaseUrl: db.url, dir, format: 'directory', jobs: 2 });
    const m = result.manifest;
    expect(statSync(result.path).isDirectory()).toBe(true);
    expect(result.path.endsWith('.dir')).toBe(true);
    expect(m.files.map((f) => f.name)).toContain('toc.dat');
    for (const f of m.files) {
      expect(sha256(join(result.path, f.name))).toBe(f.sha256);
      expect(statSync(join(result.path, f.name)).mode & 0o777).toBe(0o600);
    }
    expect(m.verification?.ok).toBe(true);
    const verified = await verifyBackup({ dir, id: m.id });
    expect(verified.ok).toBe(true);
  });

  it('saves roles and tablespaces with --globals', async () => {
    const dir = join(tempDir(), 'backups');
    const { manifest: m } = await createBackup({ databaseUrl: db.url, dir, globals: true });
    expect(m.globals).not.toBeNull();
    const path = join(dir, m.globals!.file);
    expect(readFileSync(path, 'utf8')).toContain('CREATE ROLE postgres');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(m.globals!.sha256).toBe(sha256(path));
  });

  it('gives up instead of queueing behind DDL (lock wait timeout), and leaves nothing', async () => {
    const dir = join(tempDir(), 'backups');
    const ddl = new pg.Client({ connectionString: db.url });
    await ddl.connect();
    await ddl.query('BEGIN; LOCK TABLE empty_table IN ACCESS EXCLUSIVE MODE');
    try {
      const result = await pgwarden(
        ['backup', 'create', '--backup-dir', dir, '--lock-wait-timeout', '300ms'],
        {
          env: { DATABASE_URL: db.url },
        },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/lock/i);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await ddl.query('ROLLBACK');
      await ddl.end();
    }
  });

  it('the CLI prints the backup and --json gives the manifest', async () => {
    const dir = join(tempDir(), 'backups');
    const result = await pgwarden(['backup', 'create', '--backup-dir', dir, '--json'], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code).toBe(0);
    const { backup } = JSON.parse(result.stdout);
    expect(backup.id).toMatch(/^\d{8}T\d{6}Z-pgwarden_test_/);
    expect(existsSync(backup.path)).toBe(true);
    expect(backup.verification.ok).toBe(true);
    expect(result.stderr).toContain('verified: every data block read');
  });

  it.each([
    [['--jobs', '2'], '--jobs needs the directory format'],
    [['--format', 'tar'], '--format must be custom or directory'],
    [['--compress', 'lz4'], 'pg_dump 15 takes a gzip level 0-9'],
    [['--jobs', 'x', '--format', 'directory'], '--jobs must be a whole number'],
    [['--lock-wait-timeout', 'soon'], 'is not a duration'],
  ])('refuses bad options %j with exit 2 and writes nothing', async (args, message) => {
    const dir = join(tempDir(), 'backups');
    const result = await pgwarden(['backup', 'create', '--backup-dir', dir, ...args], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('exit 3 when the database cannot be reached', async () => {
    const dir = join(tempDir(), 'backups');
    const result = await pgwarden(['backup', 'create', '--backup-dir', dir], {
      env: { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('cannot connect to 127.0.0.1:1/none');
    expect(result.stderr).not.toContain('secret');
  });
});

describe('backup verify', () => {
  let dir: string;
  let id: string;
  beforeAll(async () => {
    dir = join(tempDir(), 'backups');
    id = (await createBackup({ databaseUrl: db.url, dir })).manifest.id;
  });

  it('passes on a good backup, naming each check, and --restore-test leaves no scratch database', async () => {
    const scratch = async () =>
      (await db.query(`SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden_scratch_%'`)).rows.map(
        (r) => r.datname as string,
      );
    const before = new Set(await scratch());
    const result = await pgwarden(['backup', 'verify', id, '--backup-dir', dir, '--restore-test'], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code).toBe(0);
    for (const check of ['archive', 'checksum', 'header', 'rows', 'restore-test'])
      expect(result.stdout).toContain(`✓ ${check}:`);
    const manifest = await readManifest(dir, id);
    expect(manifest.verification).toMatchObject({ ok: true, method: 'restore-test' });
    // other test files' scratch databases come and go; one left by the verify would stay
    let left: string[] = [];
    for (let i = 0; i < 100; i++) {
      left = (await scratch()).filter((name) => !before.has(name));
      if (left.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(left).toEqual([]);
  });

  it('without an id verifies the newest backup', async () => {
    const result = await pgwarden(['backup', 'verify', '--backup-dir', dir, '--json'], { env: {} });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, ok: true });
  });

  it('an unknown id is bad input (exit 2)', async () => {
    const result = await pgwarden(['backup', 'verify', 'nope', '--backup-dir', dir], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no backup "nope" in ${dir}`);
  });
});
