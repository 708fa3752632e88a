/**
 * The backup directory: where it is (option, BACKUP_DIR, config, ./backups), its mode (0700; files
 * 0600), the names inside (`<id>.dump` or `<id>.dir/`, `<id>.manifest.json`, `<id>.globals.sql`,
 * `*.partial` while being written), and the durable file operations: fsync, atomic rename, hashes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PgwardenError } from '../errors/pgwarden-error.js';

export const DEFAULT_BACKUP_DIR = 'backups';
export const PARTIAL = '.partial';
export const MANIFEST_SUFFIX = '.manifest.json';
export const GLOBALS_SUFFIX = '.globals.sql';

export type ArchiveFormat = 'custom' | 'directory';

export function archiveName(id: string, format: ArchiveFormat): string {
  return format === 'custom' ? `${id}.dump` : `${id}.dir`;
}

export function manifestName(id: string): string {
  return `${id}${MANIFEST_SUFFIX}`;
}

/** The backup directory from the option, BACKUP_DIR, the config, else ./backups — relative to cwd. */
export function resolveBackupDir(options: {
  cwd: string;
  option?: string | undefined;
  env?: NodeJS.ProcessEnv;
  configured?: string | undefined;
}): string {
  const chosen = options.option ?? options.env?.BACKUP_DIR ?? options.configured ?? DEFAULT_BACKUP_DIR;
  return resolve(options.cwd, chosen);
}

/**
 * Creates the directory with mode 0700 when missing; tightens an existing one that others may read
 * (backups hold the data). Returns what it did, for a progress note.
 */
export async function ensureBackupDir(dir: string): Promise<{ created: boolean; tightened: boolean }> {
  let created = false;
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new PgwardenError('PATH_UNREADABLE', `${dir}: the backup directory is not a directory`, {
        hint: 'Point --backup-dir / BACKUP_DIR at a directory.',
      });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw fsError(error, dir, 'use the backup directory');
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      created = true;
    } catch (inner) {
      throw fsError(inner, dir, 'create the backup directory');
    }
  }
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077) {
    try {
      await chmod(dir, mode & 0o700);
    } catch (error) {
      throw fsError(error, dir, 'restrict the backup directory to its owner (mode 0700)');
    }
    return { created, tightened: true };
  }
  return { created, tightened: false };
}

/** The entries of the directory, or PATH_NOT_FOUND when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PgwardenError('PATH_NOT_FOUND', `${dir}: the backup directory does not exist`, {
        hint: 'Create a backup first (pgwarden backup create), or point --backup-dir / BACKUP_DIR at it.',
      });
    }
    throw fsError(error, dir, 'read the backup directory');
  }
}

/** A PgwardenError for a failed file operation: what, where, and the errno in words. */
export function fsError(error: unknown, path: string, doing: string): PgwardenError {
  const e = error as NodeJS.ErrnoException;
  if (e instanceof PgwardenError) return e;
  const why =
    e.code === 'ENOSPC'
      ? 'the disk is full'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EFBIG'
          ? 'the file-size limit was reached'
          : (e.message ?? String(error));
  return new PgwardenError(
    e.code === 'ENOSPC' ? 'DISK_SPACE' : 'PATH_UNREADABLE',
    `cannot ${doing}: ${path}: ${why}`,
    {
      cause: error,
    },
  );
}

/** fsync a file or directory (directories: so a rename inside it is durable). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames atomically and makes the rename durable. */
export async function publish(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncPath(dirname(to));
}

/** Writes a small file (mode 0600) atomically: a temporary name, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}${PARTIAL}`;
  await writeFile(temp, data, { mode: 0o600 });
  await fsyncPath(temp);
  await publish(temp, path);
}

export interface FileDigest {
  /** relative to the archive (directory format) or the archive's own name */
  name: string;
  size: number;
  sha256: string;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/**
 * Size and SHA-256 of an archive: the file itself, or each file of a directory archive plus a
 * digest over their sorted list (so one value stands for the whole directory).
 */
export async function digestArchive(
  path: string,
): Promise<{ size: number; sha256: string; files: FileDigest[] }> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    const sha256 = await sha256File(path);
    return { size: info.size, sha256, files: [{ name: basename(path), size: info.size, sha256 }] };
  }
  const files: FileDigest[] = [];
  for (const name of (await readdir(path)).sort()) {
    const file = join(path, name);
    const s = await stat(file);
    if (!s.isFile()) continue;
    files.push({ name, size: s.size, sha256: await sha256File(file) });
  }
  const list = createHash('sha256');
  for (const f of files) list.update(`${f.sha256}  ${f.name}\n`);
  return { size: files.reduce((n, f) => n + f.size, 0), sha256: list.digest('hex'), files };
}

/** Size of a file or (recursively) a directory. */
export async function sizeOf(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += await sizeOf(join(path, name));
  return total;
}

/** Sets 0600 on a file or on every file of a directory (and 0700 on the directory). */
export async function restrictMode(path: string): Promise<void> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    await chmod(path, 0o600);
    return;
  }
  await chmod(path, 0o700);
  for (const name of await readdir(path)) await restrictMode(join(path, name));
}

/** Removes a file or directory; never throws (used on the failure path). */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}
