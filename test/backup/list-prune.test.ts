/**
 * `backup list` and `backup prune` on a real directory: backups with their verification state,
 * and every file that is not a backup of this database flagged with the reason (a SQLite file,
 * another database's dump, a truncated plain dump, an unfinished .partial, an unverified backup);
 * prune's dry run, its deletions, BACKUP_RETENTION_DAYS, and what it never touches.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { forLibpq } from '../../src/db/libpq.js';
import { pgwarden } from '../support/cli.js';
import { databaseUrl, useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { realBinDir } from '../support/pg-shims.js';

const db = useTestDatabase();
let dir: string;
let verifiedIds: string[];
let unverifiedId: string;

beforeAll(async () => {
  await db.query('CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)');
  dir = join(tempDir(), 'backups');
  verifiedIds = [];
  for (let i = 0; i < 3; i++)
    verifiedIds.push((await createBackup({ databaseUrl: db.url, dir })).manifest.id);
  unverifiedId = (await createBackup({ databaseUrl: db.url, dir, verify: false })).manifest.id;
  // foreign files
  writeFileSync(
    join(dir, 'app.sqlite3'),
    Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(200)]),
  );
  const postgres = forLibpq(databaseUrl(db.serverUrl, 'postgres'));
  execFileSync(
    join(realBinDir(), 'pg_dump'),
    ['-Fc', '-f', join(dir, 'other.dump'), '--dbname', postgres.url],
    {
      env: { ...process.env, PGPASSWORD: postgres.password },
    },
  );
  writeFileSync(
    join(dir, 'cut.sql'),
    '--\n-- PostgreSQL database dump\n--\n\nCOPY public.t (x) FROM stdin;\n1\n',
  );
  writeFileSync(join(dir, 'old.dump.partial'), 'PGDMP');
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(join(dir, 'old.dump.partial'), twoDaysAgo, twoDaysAgo);
  writeFileSync(join(dir, 'notes.txt'), 'hello');
});

/** Makes a backup look `days` old (its manifest's times). */
function age(id: string, days: number) {
  const path = join(dir, `${id}.manifest.json`);
  const m = JSON.parse(readFileSync(path, 'utf8'));
  const at = new Date(Date.now() - days * 24 * 3600 * 1000).toISOString();
  m.startedAt = at;
  m.finishedAt = at;
  writeFileSync(path, JSON.stringify(m));
}

describe('backup list', () => {
  it('lists backups newest first and flags every file that is not a backup of this database', async () => {
    const result = await pgwarden(['backup', 'list', '--backup-dir', dir, '--json'], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code).toBe(0);
    const list = JSON.parse(result.stdout);
    expect(list.database).toBe(db.name);
    expect(list.backups.map((b: { id: string }) => b.id)).toEqual([
      unverifiedId,
      ...[...verifiedIds].reverse(),
    ]);
    expect(list.backups[0]).toMatchObject({
      verified: 'no',
      reason: 'manual',
      database: db.name,
      tables: 1,
      rows: 100,
      flags: [],
    });
    expect(list.backups[1]).toMatchObject({ verified: 'yes', verifiedBy: 'full-read' });
    const reasons = Object.fromEntries(
      list.flagged.map((f: { name: string; reason: string }) => [f.name, f.reason]),
    );
    expect(reasons).toEqual({
      'app.sqlite3': 'SQLite database, not a PostgreSQL dump',
      'cut.sql': 'plain SQL dump that does not end with "dump complete" (truncated)',
      'notes.txt': expect.stringContaining('not a PostgreSQL dump'),
      'old.dump.partial': 'unfinished backup (stopped, or still being written)',
      'other.dump':
        'pg_dump archive of database "postgres" without a manifest (never verified); of another database ("postgres")',
    });
  });

  it('prints a table for people', async () => {
    const result = await pgwarden(['backup', 'list', '--backup-dir', dir], { env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ID\s+AGE\s+SIZE\s+REASON\s+VERIFIED\s+DATABASE/m);
    expect(result.stdout).toContain(`${verifiedIds[0]}`);
    expect(result.stdout).toMatch(/app\.sqlite3: SQLite database/);
  });

  it('a missing directory is bad input (exit 2)', async () => {
    const result = await pgwarden(['backup', 'list', '--backup-dir', join(dir, 'nope')], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the backup directory does not exist');
  });
});

describe('backup prune', () => {
  it('--dry-run prints the plan and deletes nothing; prune then does exactly that', async () => {
    age(verifiedIds[0]!, 40);
    age(verifiedIds[1]!, 35);
    age(unverifiedId, 3);
    const before = readdirSync(dir).sort();
    const dry = await pgwarden(['backup', 'prune', '--backup-dir', dir, '--dry-run', '--json'], {
      env: { BACKUP_RETENTION_DAYS: '30' },
    });
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.dryRun).toBe(true);
    expect(plan.delete.map((d: { id: string; reason: string }) => [d.id, d.reason]).sort()).toEqual(
      [
        [verifiedIds[0], 'older than 30 days'],
        [verifiedIds[1], 'older than 30 days'],
        [unverifiedId, 'never verified, older than a day'],
        ['old.dump.partial', 'unfinished backup, older than a day'],
      ].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual(before);

    const real = await pgwarden(['backup', 'prune', '--backup-dir', dir], {
      env: { BACKUP_RETENTION_DAYS: '30' },
    });
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`deleted ${verifiedIds[0]}: older than 30 days`);
    expect(readdirSync(dir).sort()).toEqual(
      [
        `${verifiedIds[2]}.dump`,
        `${verifiedIds[2]}.manifest.json`,
        'app.sqlite3',
        'cut.sql',
        'notes.txt',
        'other.dump',
      ].sort(),
    );
  });

  it('never deletes the newest verified backup, whatever the retention', async () => {
    age(verifiedIds[2]!, 400);
    const result = await pgwarden(
      ['backup', 'prune', '--backup-dir', dir, '--retention-days', '1', '--keep', '1'],
      { env: {} },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing to prune');
    expect(existsSync(join(dir, `${verifiedIds[2]}.dump`))).toBe(true);
  });

  it.each([
    [['--keep', '0'], '--keep must be a whole number of 1 or more'],
    [['--retention-days=ten'], '--retention-days must be a whole number'],
  ])('refuses %j (exit 2)', async (args, message) => {
    const result = await pgwarden(['backup', 'prune', '--backup-dir', dir, ...args], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('a bad BACKUP_RETENTION_DAYS is bad input', async () => {
    const result = await pgwarden(['backup', 'prune', '--backup-dir', dir], {
      env: { BACKUP_RETENTION_DAYS: 'month' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('BACKUP_RETENTION_DAYS must be a whole number');
  });
});
