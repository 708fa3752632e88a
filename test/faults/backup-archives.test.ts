/**
 * Faults: damaged and foreign archives, and client programs that misbehave (PG_BIN shims). A
 * backup's archive truncated, bit-flipped, emptied, replaced by a file that is not a dump or by a
 * SQLite database — verify refuses it with exit 1 naming the failed check (the archive's bytes
 * unchanged), `backup list` never calls it verified once it differs; loose files of those kinds
 * are flagged by list and left alone by prune. pg_dump killed midway, a dump truncated while
 * pg_dump claims success, pg_dump missing or too old: a clear message, the right exit code, and
 * nothing that looks like a backup.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { readManifest } from '../../src/backup/manifest.js';
import { pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { shimDir } from '../support/pg-shims.js';
import { BACKUP_TABLES_SQL } from './support.js';

const db = useTestDatabase();
/** a directory holding one good, verified backup: each case works on a copy of it */
let pristine: string;
let id: string;

beforeAll(async () => {
  await db.query(BACKUP_TABLES_SQL);
  pristine = join(tempDir(), 'backups');
  id = (await createBackup({ databaseUrl: db.url, dir: pristine })).manifest.id;
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const SQLITE = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080, 1)]);

/** A copy of the good backup whose archive is damaged by `damage`; `agree` makes the manifest match the new bytes. */
function damaged(damage: (bytes: Buffer) => Buffer, agree = false): { dir: string; archive: string } {
  const dir = join(tempDir(), 'backups');
  cpSync(pristine, dir, { recursive: true });
  const archive = join(dir, `${id}.dump`);
  const bytes = damage(readFileSync(archive));
  writeFileSync(archive, bytes);
  if (agree) {
    const path = join(dir, `${id}.manifest.json`);
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.size = bytes.length;
    m.sha256 = sha256(bytes);
    writeFileSync(path, JSON.stringify(m));
  }
  return { dir, archive };
}

async function verify(dir: string) {
  const archive = join(dir, `${id}.dump`);
  const before = sha256(readFileSync(archive));
  const result = await pgwarden(['backup', 'verify', id, '--backup-dir', dir], { env: {} });
  expect(sha256(readFileSync(archive)), 'verify must not change the archive').toBe(before);
  return result;
}

async function listed(dir: string) {
  const result = await pgwarden(['backup', 'list', '--backup-dir', dir, '--json'], { env: {} });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    backups: Array<{ id: string; verified: string; verifiedBy: string | null; flags: string[] }>;
    flagged: Array<{ name: string; reason: string }>;
  };
}

describe('a damaged archive', () => {
  it('truncated: list says it changed (never "verified" beside the size flag), verify fails the checksum and records it', async () => {
    const { dir } = damaged((b) => b.subarray(0, Math.floor(b.length / 2)));
    const before = (await listed(dir)).backups[0]!;
    expect(before.flags[0]).toMatch(/^size \d+ differs from the manifest's \d+ \(truncated or changed\)$/);
    expect(before.verified).toBe('changed');
    expect(before.verifiedBy).toBe(null);
    const text = await pgwarden(['backup', 'list', '--backup-dir', dir], { env: {} });
    expect(text.stdout).toMatch(new RegExp(`^${id}\\s.*NO \\(changed since\\)`, 'm'));
    expect(text.stdout).not.toMatch(/yes \(full-read\)/);
    const result = await verify(dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ checksum: size');
    expect((await readManifest(dir, id)).verification).toMatchObject({ ok: false });
    expect((await listed(dir)).backups[0]!.verified).toBe('failed');
  });

  it('cut short with a manifest that agrees (pg_restore --list accepts it): the full read fails', async () => {
    const { dir } = damaged((b) => b.subarray(0, Math.floor(b.length * 0.6)), true);
    const result = await verify(dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✓ checksum');
    expect(result.stdout).toMatch(/✗ rows: .*(truncated|could not read|end of file)/);
  });

  it('bit-flipped: the checksum catches it', async () => {
    const { dir } = damaged((b) => {
      const at = Math.floor(b.length * 0.7);
      b[at] = b[at]! ^ 0xff;
      return b;
    });
    const result = await verify(dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ checksum: SHA-256 differs');
    expect((await listed(dir)).backups[0]!.verified).toBe('failed');
  });

  it.each([
    ['emptied', () => Buffer.alloc(0), /✗ header: not a pg_dump archive \(0 bytes|empty/],
    [
      'replaced by text that is not a dump',
      () => Buffer.from('hello, not a dump\n'),
      /✗ header: not a pg_dump archive/,
    ],
    ['replaced by a SQLite database', () => SQLITE, /✗ header: not a pg_dump archive \(SQLite/],
  ])('%s, with a manifest that agrees: the header check refuses it', async (_, bytes, message) => {
    const { dir } = damaged(bytes, true);
    const result = await verify(dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✓ checksum');
    expect(result.stdout).toMatch(message);
  });

  it.each([
    ['emptied', () => Buffer.alloc(0)],
    ['replaced by a SQLite database', () => SQLITE],
  ])('%s, the manifest unchanged: list flags the size and does not call it verified', async (_, bytes) => {
    const { dir } = damaged(bytes);
    const b = (await listed(dir)).backups[0]!;
    expect(b.verified).toBe('changed');
    expect(b.flags.join()).toContain('differs from the manifest');
  });
});

describe('loose files in the backup directory', () => {
  it('are flagged by list with what they are, and prune leaves them alone', async () => {
    const dir = join(tempDir(), 'backups');
    cpSync(pristine, dir, { recursive: true });
    const good = readFileSync(join(dir, `${id}.dump`));
    writeFileSync(join(dir, 'empty.dump'), '');
    writeFileSync(join(dir, 'foreign.dump'), 'hello, not a dump\n');
    writeFileSync(join(dir, 'app.sqlite3'), SQLITE);
    writeFileSync(join(dir, 'cut.dump'), good.subarray(0, 40));
    const reasons = Object.fromEntries((await listed(dir)).flagged.map((f) => [f.name, f.reason]));
    expect(reasons).toEqual({
      'empty.dump': 'empty file',
      'foreign.dump': expect.stringContaining('not a PostgreSQL dump'),
      'app.sqlite3': 'SQLite database, not a PostgreSQL dump',
      'cut.dump': expect.stringMatching(/^damaged pg_dump archive \(the archive header is truncated/),
    });
    const before = readdirSync(dir).sort();
    const prune = await pgwarden(['backup', 'prune', '--backup-dir', dir, '--retention-days', '1'], {
      env: {},
    });
    expect(prune.code, prune.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

const backup = (dir: string, env: NodeJS.ProcessEnv = {}) =>
  pgwarden(['backup', 'create', '--backup-dir', dir], { env: { DATABASE_URL: db.url, ...env } });

describe('client programs that fail', () => {
  it('pg_dump killed midway: exit 1 naming the signal, no partial file, no manifest', async () => {
    const bin = shimDir({
      pg_dump: `case "$1" in --version) exec "$REAL/pg_dump" "$@";; esac
"$REAL/pg_dump" "$@" | head -c 20000
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
"$REAL/pg_dump" "$@" | head -c 30000`,
    });
    const dir = join(tempDir(), 'backups');
    const result = await backup(dir, { PG_BIN: bin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the new backup does not read back as dumped');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('pg_dump missing: exit 3 with the server version and the package to install', async () => {
    const bin = shimDir({}, { omit: ['pg_dump'] });
    const dir = join(tempDir(), 'backups');
    const result = await backup(dir, { PG_BIN: bin });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`pg_dump was not found (PG_BIN=${bin})`);
    expect(result.stderr).toContain('postgresql-client-15');
    expect(existsSync(dir)).toBe(false);
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
