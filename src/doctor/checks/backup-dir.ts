/**
 * `backup-dir`: the backup directory exists and takes a file (one is written and removed), or —
 * when it does not exist yet — its nearest existing parent is a directory it can be created in.
 * The evidence says the mode and the free space, so a full disk shows before the deploy. A
 * directory others may list is a warning (pgwarden never changes the mode of one it did not create).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { octalMode, openDirAdvice, PARTIAL } from '../../backup/store.js';
import { formatBytes } from '../../lint/describe.js';
import { displayPath } from '../../migrate/source.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

function errnoWords(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOSPC') return 'the disk is full';
  if (e.code === 'EROFS') return 'read-only file system';
  return e.message ?? String(error);
}

async function freeSpace(dir: string): Promise<string> {
  try {
    const fs = await statfs(dir);
    return `free space: ${formatBytes(fs.bavail * fs.bsize)}`;
  } catch {
    return 'free space: unknown';
  }
}

/** The closest path at or above `path` that exists. */
async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean }> {
  let current = path;
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info) return { path: current, isDirectory: info.isDirectory() };
    const parent = dirname(current);
    if (parent === current) return { path: current, isDirectory: false };
    current = parent;
  }
}

/** Writes and removes a small file; the error in words, or undefined when it worked. */
async function tryWrite(dir: string): Promise<string | undefined> {
  // named like an unfinished backup, so prune cleans it should the doctor be killed right here
  const probe = join(dir, `doctor-write-test-${randomBytes(4).toString('hex')}${PARTIAL}`);
  try {
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.writeFile('pgwarden doctor write test\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return undefined;
  } catch (error) {
    return errnoWords(error);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

const ELSEWHERE = 'point BACKUP_DIR (or backup.dir in the config, or --backup-dir) at a writable directory';

export const backupDirCheck: DoctorCheck = {
  id: 'backup-dir',
  title: 'Backup directory writable',
  level: 'fail',
  needsDatabase: false,
  async run(ctx: DoctorContext): Promise<CheckOutcome> {
    const dir = displayPath(ctx.cwd, ctx.backupDir);
    const info = await stat(ctx.backupDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (info && !info.isDirectory()) {
      return {
        status: 'fail',
        summary: `${dir} is not a directory`,
        evidence: [`${dir}: a file of ${formatBytes(info.size)}`],
        fix: `Move the file away, or ${ELSEWHERE}.`,
      };
    }
    if (!info) {
      const parent = await nearestExisting(dirname(ctx.backupDir));
      if (!parent.isDirectory) {
        return {
          status: 'fail',
          summary: `${dir} cannot be created: ${parent.path} is not a directory`,
          evidence: [`nearest existing path: ${parent.path}`],
          fix: `${parent.path} is a file where a directory should be: move it away, or ${ELSEWHERE}.`,
        };
      }
      const denied = await access(parent.path, constants.W_OK | constants.X_OK).then(
        () => undefined,
        errnoWords,
      );
      if (denied) {
        return {
          status: 'fail',
          summary: `${dir} cannot be created in ${parent.path}: ${denied}`,
          evidence: [`nearest existing directory: ${parent.path}`],
          fix: `Create it for the user that runs pgwarden (mode 0700), or ${ELSEWHERE}.`,
        };
      }
      return {
        status: 'pass',
        summary: `${dir} does not exist yet; backup create makes it (mode 0700)`,
        evidence: [`created in: ${parent.path}`, await freeSpace(parent.path)],
      };
    }
    const failed = await tryWrite(ctx.backupDir);
    if (failed) {
      return {
        status: 'fail',
        summary: `cannot write in ${dir}: ${failed}`,
        evidence: [`mode ${octalMode(info.mode & 0o7777)}, owner uid ${info.uid}`],
        fix: `Give the user that runs pgwarden write access to it, or ${ELSEWHERE}.`,
      };
    }
    const mode = info.mode & 0o7777;
    const evidence = [`mode ${octalMode(mode)}, owner uid ${info.uid}`, await freeSpace(ctx.backupDir)];
    if (mode & 0o077) {
      return {
        status: 'warn',
        summary: `${dir} is writable, but others may list it (mode ${octalMode(mode)})`,
        evidence,
        fix: `${openDirAdvice(dir, mode)}.`,
      };
    }
    return { status: 'pass', summary: `${dir} is writable`, evidence };
  },
};
