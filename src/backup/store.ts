/**
 * The backup directory: where it is (option, BACKUP_DIR, config, ./backups), its mode (0700 when
 * pgwarden creates it; an existing one is never chmodded, only reported; files 0600), the names
 * inside (`<id>.dump` or `<id>.dir/`, `<id>.manifest.json`, `<id>.globals.sql`, `*.partial` while
 * being written; each a single path component), and the durable file operations: fsync, atomic
 * rename, hashes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

export function globalsName(id: string): string {
  return `${id}${GLOBALS_SUFFIX}`;
}

/**
 * Whether `name` is one plain entry of a directory — not empty, not `.` or `..`, without a slash,
 * a backslash or a NUL — so that joined to the backup directory it names a file inside it.
 */
export function isPlainName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  return !name.includes('/') && !name.includes('\\') && !name.includes('\0');
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

/** What `ensureBackupDir` found or did, for a progress note or a warning. */
export interface BackupDirState {
  /** pgwarden created it now (mode 0700) */
  created: boolean;
  /**
   * The permission bits (with setuid/setgid/sticky) of an existing directory that others may read
   * or enter (any group or other bit): pgwarden leaves them alone and warns. Undefined otherwise.
   */
  looseMode: number | undefined;
}

/**
 * Makes sure the backup directory exists. A missing one is created with mode 0700 (missing parents
 * too; existing parents are left as they are). An existing one is never changed — it may be a
 * shared directory, a symlink to one, or the project itself: pgwarden only reports a mode that
 * lets others in (`looseMode`); the files it writes there are 0600 whatever the directory's mode.
 */
export async function ensureBackupDir(dir: string): Promise<BackupDirState> {
  let info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw fsError(error, dir, 'use the backup directory');
  });
  if (!info) {
    let first: string | undefined;
    try {
      first = await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw fsError(error, dir, 'create the backup directory', 'write');
    }
    info = await stat(dir);
    // `first` is undefined when another process created it meanwhile: then it is not ours
    if (first !== undefined) return { created: true, looseMode: undefined };
  }
  if (!info.isDirectory()) {
    throw new PgwardenError('PATH_UNREADABLE', `${dir}: the backup directory is not a directory`, {
      hint: 'Point --backup-dir / BACKUP_DIR at a directory.',
    });
  }
  const mode = info.mode & 0o7777;
  return { created: false, looseMode: mode & 0o077 ? mode : undefined };
}

/** A mode as `chmod` writes it: 0700, 1777. */
export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * What to say about an existing backup directory that others may read or enter (`shown` is its
 * path as the user knows it): what the mode allows, that pgwarden leaves it, and the two ways out.
 */
export function openDirAdvice(shown: string, mode: number): string {
  const who = mode & 0o007 ? 'every user' : 'its group';
  return (
    `the backup directory ${shown} has mode ${octalMode(mode)}: ${who} can list it (the backups in it are 0600). ` +
    `pgwarden does not change a directory it did not create. If it holds only backups, run chmod 700 ${shown}; ` +
    'if it is shared (like /tmp or the project), point --backup-dir / BACKUP_DIR at a directory of its own'
  );
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

/**
 * A PgwardenError for a failed file operation: what, where, and the errno in words. A full disk is
 * DISK_SPACE; other failures are PATH_UNWRITABLE when writing, PATH_UNREADABLE when reading.
 */
export function fsError(
  error: unknown,
  path: string,
  doing: string,
  access: 'read' | 'write' = 'read',
  hint?: string,
): PgwardenError {
  const e = error as NodeJS.ErrnoException;
  if (e instanceof PgwardenError) return e;
  const why =
    e.code === 'ENOSPC'
      ? 'the disk is full'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EROFS'
          ? 'read-only file system'
          : e.code === 'EFBIG'
            ? 'the file-size limit was reached (File too large)'
            : (e.message ?? String(error));
  return new PgwardenError(
    e.code === 'ENOSPC' ? 'DISK_SPACE' : access === 'write' ? 'PATH_UNWRITABLE' : 'PATH_UNREADABLE',
    `cannot ${doing}: ${path}: ${why}`,
    { cause: error, ...(hint ? { hint } : {}) },
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

/**
 * Writes a small file (mode 0600) atomically: a temporary name, fsync, rename, fsync of the
 * directory. When any step before the rename fails (a full disk), the temporary file is removed:
 * the target is then untouched and nothing else is left.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}${PARTIAL}`;
  try {
    await rm(temp, { force: true }); // a leftover of a crash: its mode may not be ours
    await writeFile(temp, data, { mode: 0o600, flag: 'wx' });
    await fsyncPath(temp);
    await rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
  await fsyncPath(dirname(path));
}

export interface FileDigest {
  /** relative to the archive (directory format) or the archive's own name */
  name: string;
  size: number;
  sha256: string;
}

/**
 * Writes a stream into `path` (an existing file, e.g. a reserved `.partial`; its mode is kept),
 * taking the size and SHA-256 of what passes and telling `onBytes` the count every half second.
 * Rejects on the first write error (ENOSPC, EFBIG…); the source is destroyed then.
 */
export async function streamToFile(
  source: Readable,
  path: string,
  onBytes: (bytes: number) => void = () => undefined,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  let told = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      const now = Date.now();
      if (now - told >= PROGRESS_MS) {
        told = now;
        onBytes(size);
      }
      done(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(path, { flags: 'w' }));
  onBytes(size);
  return { size, sha256: hash.digest('hex') };
}

const PROGRESS_MS = 500;

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
