/**
 * Faults: the disk. A full disk (a small tmpfs) during the dump, in both formats, and during the
 * manifest write; the file-size limit; a read-only backup directory. Every case: a clear message,
 * the exit code of an environment problem (3), and nothing left behind — no archive, no globals,
 * no `*.partial`, no manifest — or, read-only, nothing changed.
 *
 * The tmpfs needs `mount` (the tests run as root). Where mounting is refused, the disk-full and
 * read-only cases are skipped and say so; the file-size limit (prlimit) still injects a real
 * write failure.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateEvent } from '../../src/backup/create.js';
import { createBackup } from '../../src/backup/create.js';
import { ERROR_CODES, exitCodeForClass } from '../../src/errors/codes.js';
import { PgwardenError } from '../../src/errors/pgwarden-error.js';
import { CLI, type CliResult, pgwarden } from '../support/cli.js';
import { useTestDatabase } from '../support/database.js';
import { tempDir } from '../support/files.js';
import { BACKUP_TABLES_SQL } from './support.js';

const db = useTestDatabase();
const mounts: string[] = [];

/** Mounts a tmpfs of `size` (mode 0700) at a new directory, unmounted and removed after the file. */
function mountTmpfs(size: string): string {
  // not a tempDir(): its removal would run before the unmount
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true });
    throw new Error(`mount -t tmpfs refused: ${(error as Error).message.split('\n')[0]}`);
  }
  mounts.push(dir);
  return dir;
}

/** Whether this machine lets the tests mount a tmpfs (root, and not forbidden by a container). */
const canMount = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return true;
  } catch (error) {
    console.warn(
      `backup-disk: mount -t tmpfs is refused here (${(error as Error).message.split('\n')[0]}); the full-disk and read-only cases are skipped, the file-size limit case still runs`,
    );
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

afterAll(() => {
  for (const dir of mounts) {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
  }
});

beforeAll(async () => {
  // a dump of 2 MB or more: more than the small tmpfs holds
  await db.query(BACKUP_TABLES_SQL);
});

/** Names and SHA-256 of the files in `dir`. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).map((n) => [
      n,
      createHash('sha256')
        .update(readFileSync(join(dir, n)))
        .digest('hex'),
    ]),
  );
}

const ENVIRONMENT = exitCodeForClass('environment');

describe.skipIf(!canMount)('a full disk', () => {
  it.each(['custom', 'directory'])(
    'during the dump (%s format): exit 3, the disk is full, nothing left',
    async (format) => {
      const dir = mountTmpfs('1m');
      const result = await pgwarden(['backup', 'create', '--backup-dir', dir, '--format', format], {
        env: { DATABASE_URL: db.url },
      });
      expect(result.code, result.stderr).toBe(ENVIRONMENT);
      expect(result.stderr).toMatch(/the disk is full|No space left on device/);
      expect(result.stderr).toContain('Nothing was published');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('during the manifest write: DISK_SPACE, and neither archive, globals nor a manifest.partial is left', async () => {
    const mnt = mountTmpfs('16m');
    const dir = join(mnt, 'backups');
    const filler = join(mnt, 'filler');
    const events: CreateEvent['type'][] = [];
    const error = await createBackup({
      databaseUrl: db.url,
      dir,
      globals: true,
      onEvent: (event) => {
        events.push(event.type);
        // the archive is written and verified: fill the disk but for one page (the globals' file)
        if (event.type === 'verified') {
          const fs = statfsSync(mnt);
          writeFileSync(filler, Buffer.alloc(Number(fs.bavail * fs.bsize) - 4096));
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PgwardenError);
    const failure = error as PgwardenError;
    expect(failure.code).toBe('DISK_SPACE');
    expect(exitCodeForClass(ERROR_CODES[failure.code].class)).toBe(ENVIRONMENT);
    expect(failure.message).toMatch(/cannot write the backup manifest: .*: the disk is full/);
    expect(failure.hint).toContain('Nothing was published');
    expect(events).toContain('verified');
    expect(events).not.toContain('globals-skipped'); // the globals file was written, then removed
    expect(readdirSync(dir)).toEqual([]);
    rmSync(filler);
  });
});

describe('the file-size limit', () => {
  it('is hit during the dump: exit 3 naming the limit, nothing left', async () => {
    const dir = join(tempDir(), 'backups');
    const result = await new Promise<CliResult>((resolve) => {
      // prlimit sets RLIMIT_FSIZE for pgwarden (which writes the archive) and its children
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
    expect(result.code, result.stderr).toBe(ENVIRONMENT);
    expect(result.stderr).toMatch(/SIGXFSZ|File too large/);
    expect(result.stderr).toContain('file-size limit');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe.skipIf(!canMount)('a read-only backup directory', () => {
  let dir: string;
  let before: Record<string, string>;
  let oldId: string;
  beforeAll(async () => {
    dir = mountTmpfs('32m');
    oldId = (await createBackup({ databaseUrl: db.url, dir })).manifest.id;
    await createBackup({ databaseUrl: db.url, dir });
    // the first one is past any retention: prune would delete it
    const path = join(dir, `${oldId}.manifest.json`);
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.finishedAt = m.startedAt = new Date(Date.now() - 90 * 24 * 3600 * 1000).toISOString();
    writeFileSync(path, JSON.stringify(m));
    execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
    before = contents(dir);
  });

  it('backup create: exit 3, read-only file system, nothing changed', async () => {
    const result = await pgwarden(['backup', 'create', '--backup-dir', dir], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code, result.stderr).toBe(ENVIRONMENT);
    expect(result.stderr).toContain('cannot create the backup file');
    expect(result.stderr).toContain('read-only file system');
    expect(contents(dir)).toEqual(before);
  });

  it('backup list works', async () => {
    const result = await pgwarden(['backup', 'list', '--backup-dir', dir, '--json'], { env: {} });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).backups).toHaveLength(2);
  });

  it('backup verify checks, then says it could not record the result (exit 3), nothing changed', async () => {
    const result = await pgwarden(['backup', 'verify', oldId, '--backup-dir', dir], { env: {} });
    expect(result.code).toBe(ENVIRONMENT);
    expect(result.stdout).toContain('✓ rows:');
    expect(result.stderr).toContain('cannot record the verification in the manifest');
    expect(result.stderr).toContain('read-only file system');
    expect(result.stderr).toContain('The checks above passed');
    expect(contents(dir)).toEqual(before);
  });

  it('backup prune stops at the first file it cannot delete (exit 3), nothing changed', async () => {
    const result = await pgwarden(['backup', 'prune', '--backup-dir', dir, '--retention-days', '30'], {
      env: {},
    });
    expect(result.code).toBe(ENVIRONMENT);
    expect(result.stderr).toContain(`prune stopped: cannot delete ${join(dir, `${oldId}.dump`)} (EROFS)`);
    expect(contents(dir)).toEqual(before);
  });
});
