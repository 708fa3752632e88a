/**
 * `backup create`: pg_dump in a snapshot exported by pgwarden, row counts from the same snapshot,
 * written to `<id>.partial`, read back in full and compared (unless verification is off), hashed,
 * made 0600, renamed atomically, and only then the manifest. Any failure removes the partial file,
 * so nothing that looks like a backup is left behind.
 *
 * pg_dump runs under the child guard (it dies with pgwarden) and, in the custom format, writes to
 * its stdout: pgwarden streams that into the partial file, hashing and counting in the same pass
 * (no second read for the checksum) and reporting progress. The directory format (`--jobs`) can
 * only be written by pg_dump itself; it is hashed afterwards.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type ClientTools, findClientTools } from '../db/client-tools.js';
import { connect } from '../db/connect.js';
import { forLibpq, libpqEnv } from '../db/libpq.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { gitCommit } from '../migrate/git.js';
import { connectionCheckSql, withConnectionCheck } from '../util/connection-check.js';
import { runGuarded, spawnGuarded } from '../util/spawn-guarded.js';
import type { TableRows } from './copy-counter.js';
import { type BackupReason, type Manifest, type Verification, writeManifest } from './manifest.js';
import { compareRows, lastLines, readArchiveRows } from './read-archive.js';
import { databaseIdentity, exportSnapshot } from './snapshot.js';
import {
  type ArchiveFormat,
  archiveName,
  digestArchive,
  ensureBackupDir,
  fsError,
  fsyncPath,
  globalsName,
  listDir,
  manifestName,
  PARTIAL,
  publish,
  removeQuietly,
  restrictMode,
  sha256File,
  sizeOf,
  streamToFile,
} from './store.js';

export type CreateEvent =
  | { type: 'dir-created'; dir: string }
  /** an existing backup directory others may read or enter: left as it is, with a warning */
  | { type: 'dir-open'; dir: string; mode: number }
  | { type: 'started'; id: string; database: string; tables: number; pgDump: string }
  | { type: 'bytes'; bytes: number }
  | { type: 'dumped'; size: number; ms: number }
  | { type: 'verifying' }
  | { type: 'verified'; tables: number; rows: number; ms: number }
  | { type: 'globals-skipped'; reason: string };

export interface CreateBackupOptions {
  databaseUrl?: string | undefined;
  /** the backup directory (absolute) */
  dir: string;
  reason?: BackupReason;
  /** keep it from prune until unpinned (pre-deploy backups) */
  pinned?: boolean;
  format?: ArchiveFormat;
  /** parallel pg_dump workers (directory format only) */
  jobs?: number;
  /** pg_dump's -Z value: 0-9, or from PostgreSQL 16 gzip|lz4|zstd|none[:detail] */
  compression?: string | undefined;
  /** also capture roles and tablespaces with pg_dumpall --globals-only (skipped with a note when not permitted) */
  globals?: boolean;
  /** read the archive back and compare the row counts (default true) */
  verify?: boolean;
  /** pg_dump --lock-wait-timeout: give up instead of queueing behind DDL (default 60 s) */
  lockWaitTimeoutMs?: number;
  /** where git is asked for the commit (default: cwd) */
  cwd?: string;
  onEvent?: (event: CreateEvent) => void;
  signal?: AbortSignal;
  /** already discovered tools (deploy and restore reuse theirs) */
  tools?: ClientTools;
}

export interface BackupResult {
  manifest: Manifest;
  /** absolute path of the archive */
  path: string;
}

export const DEFAULT_LOCK_WAIT_MS = 60_000;

export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
  const format = options.format ?? 'custom';
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new PgwardenError('USAGE', `--jobs must be a whole number of 1 or more, not ${jobs}`);
  if (jobs > 1 && format !== 'directory') {
    throw new PgwardenError(
      'USAGE',
      '--jobs needs the directory format (--format directory): pg_dump writes a custom archive with one process',
    );
  }
  const emit = options.onEvent ?? (() => undefined);
  const control = await connect({ url: options.databaseUrl, applicationName: 'pgwarden backup' });
  const counter = await connect({ url: options.databaseUrl, applicationName: 'pgwarden backup (snapshot)' });
  try {
    const identity = await databaseIdentity(control);
    const serverMajor = Math.floor(identity.serverVersionNum / 10000);
    const tools = options.tools ?? (await findClientTools(serverMajor, 'backups need it'));
    const compression = checkCompression(options.compression, tools.major);
    const made = await ensureBackupDir(options.dir);
    if (made.created) emit({ type: 'dir-created', dir: options.dir });
    if (made.looseMode !== undefined) emit({ type: 'dir-open', dir: options.dir, mode: made.looseMode });
    const id = await reserveBackup(options.dir, identity.name, format);
    const archive = archiveName(id, format);
    const finalPath = join(options.dir, archive);
    const partial = `${finalPath}${PARTIAL}`;
    // from here on, any failure removes what was written: nothing half-done may look like a backup
    try {
      const startedAt = new Date();
      const lockWait = options.lockWaitTimeoutMs ?? DEFAULT_LOCK_WAIT_MS;

      // if pgwarden dies, the server ends this session within a second even mid-count
      const check = connectionCheckSql(identity.serverVersionNum);
      if (check) await counter.query(check);
      const snapshot = await exportSnapshot(counter, lockWait);
      let tables: TableRows[];
      let digest: { size: number; sha256: string } | undefined;
      try {
        emit({
          type: 'started',
          id,
          database: identity.name,
          tables: snapshot.tables.length,
          pgDump: tools.version,
        });
        let countFailure: Error | undefined;
        const counting = snapshot.count(options.signal).catch((error: unknown) => {
          countFailure = error as Error;
          return countFailure;
        });
        const dumped = await dump(tools, options.databaseUrl, partial, {
          format,
          jobs,
          compression,
          snapshot: snapshot.facts.id,
          lockWait,
          serverVersionNum: identity.serverVersionNum,
          emit,
          signal: options.signal,
        }).catch((error: unknown) => {
          // a failed count ends the exporting transaction, and pg_dump then fails to import the
          // snapshot: the count's error (a lock timeout, say) is the cause worth reporting
          throw countFailure ?? error;
        });
        const counted = await counting;
        if (counted instanceof Error) throw counted;
        tables = counted;
        digest = dumped.digest;
        emit({ type: 'dumped', size: dumped.size, ms: dumped.ms });
      } finally {
        await snapshot.close();
      }

      let verification: Verification | null = null;
      if (options.verify !== false) {
        emit({ type: 'verifying' });
        const verifyStarted = Date.now();
        verification = await verifyRows(tools, partial, tables, options.signal);
        if (verification.ok) {
          emit({
            type: 'verified',
            tables: tables.length,
            rows: tables.reduce((n, t) => n + t.rows, 0),
            ms: Date.now() - verifyStarted,
          });
        } else {
          throw new PgwardenError(
            'BACKUP_INVALID',
            `the new backup does not read back as dumped: ${verification.problems.join('; ')}`,
            {
              hint: 'Nothing was published. Check the disk and retry; if it persists, report it.',
            },
          );
        }
      }
      await restrictMode(partial);
      if (format === 'custom') await fsyncPath(partial);
      const hashed = digest ? { ...digest, files: [] } : await digestArchive(partial);
      const globals = options.globals
        ? await dumpGlobals(tools, options.databaseUrl, options.dir, id, identity.serverVersionNum, emit)
        : null;
      const commit = (await gitCommit(options.cwd ?? process.cwd())) ?? null;
      await publish(partial, finalPath);
      const manifest: Manifest = {
        pgwarden: 1,
        id,
        format,
        archive,
        reason: options.reason ?? 'manual',
        pinned: options.pinned ?? false,
        database: {
          name: identity.name,
          oid: identity.oid,
          systemIdentifier: identity.systemIdentifier,
          sizeBytes: identity.sizeBytes,
        },
        server: { version: identity.serverVersion, versionNum: identity.serverVersionNum },
        pgDumpVersion: tools.version,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        size: hashed.size,
        sha256: hashed.sha256,
        files: format === 'directory' ? hashed.files : [],
        compression: compression ?? null,
        gitCommit: commit,
        snapshot: {
          txid: snapshot.facts.txid,
          walLsn: snapshot.facts.walLsn,
          writes: snapshot.facts.writes,
          statsReset: snapshot.facts.statsReset,
        },
        tables,
        globals,
        verification,
      };
      try {
        await writeManifest(options.dir, manifest);
      } catch (error) {
        // nothing of the backup may stay: not the archive, the globals, or a manifest renamed
        // into place whose directory could not be synced
        await removeQuietly(finalPath);
        if (globals) await removeQuietly(join(options.dir, globals.file));
        await removeQuietly(join(options.dir, manifestName(id)));
        throw fsError(
          error,
          options.dir,
          'write the backup manifest',
          'write',
          'Nothing was published: the archive was removed. Free space (or fix the directory) and run the backup again.',
        );
      }
      return { manifest, path: finalPath };
    } catch (error) {
      await removeQuietly(partial);
      await removeQuietly(join(options.dir, globalsName(id)));
      await removeQuietly(join(options.dir, `${globalsName(id)}${PARTIAL}`));
      throw error;
    }
  } finally {
    await counter.end().catch(() => undefined);
    await control.end().catch(() => undefined);
  }
}

/** Reads the archive back and compares its rows with the snapshot's counts. */
export async function verifyRows(
  tools: Pick<ClientTools, 'pgRestore' | 'version'>,
  path: string,
  expected: readonly TableRows[],
  signal?: AbortSignal,
): Promise<Verification> {
  let problems: string[];
  try {
    const counts = await readArchiveRows(tools, path, signal ? { signal } : {});
    problems = compareRows(expected, counts.tables);
  } catch (error) {
    if (!(error instanceof PgwardenError) || error.code !== 'BACKUP_INVALID') throw error;
    problems = [error.message];
  }
  return {
    at: new Date().toISOString(),
    ok: problems.length === 0,
    method: 'full-read',
    pgRestoreVersion: tools.version,
    problems,
  };
}

interface DumpOptions {
  format: ArchiveFormat;
  jobs: number;
  compression: string | undefined;
  snapshot: string;
  lockWait: number;
  serverVersionNum: number;
  emit: (event: CreateEvent) => void;
  signal: AbortSignal | undefined;
}

interface Dumped {
  size: number;
  ms: number;
  /** size and SHA-256 taken while streaming (custom format); the directory format is hashed later */
  digest: { size: number; sha256: string } | undefined;
}

async function dump(
  tools: ClientTools,
  url: string | undefined,
  partial: string,
  options: DumpOptions,
): Promise<Dumped> {
  const target = url ? forLibpq(url) : { url: undefined, password: undefined };
  const streamed = options.format === 'custom';
  const args = [
    `--format=${options.format}`,
    ...(streamed ? [] : [`--file=${partial}`]),
    `--snapshot=${options.snapshot}`,
    `--lock-wait-timeout=${options.lockWait}ms`,
    '--no-password',
  ];
  if (options.jobs > 1) args.push(`--jobs=${options.jobs}`);
  if (options.compression !== undefined) args.push(`--compress=${options.compression}`);
  if (target.url) args.push(`--dbname=${target.url}`);
  const started = Date.now();
  const child = spawnGuarded(tools.pgDump, args, {
    env: withConnectionCheck(libpqEnv(target.password), options.serverVersionNum),
    stdio: ['ignore', streamed ? 'pipe' : 'ignore', 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 64_000) stderr += chunk;
  });
  const onBytes = (bytes: number) => options.emit({ type: 'bytes', bytes });
  let progress: NodeJS.Timeout | undefined;
  let written: Promise<{ size: number; sha256: string } | Error | undefined> = Promise.resolve(undefined);
  if (streamed) {
    written = streamToFile(child.stdout as Readable, partial, onBytes).catch((error: unknown) => {
      child.kill('SIGTERM'); // the file cannot take more: pg_dump stops too
      return error as Error;
    });
  } else {
    progress = setInterval(() => sizeOf(partial).then(onBytes, () => undefined), 500);
  }
  const [exit, stored] = await Promise.all([
    child.exited.catch((error: unknown) => error as NodeJS.ErrnoException),
    written,
  ]).finally(() => clearInterval(progress));
  if (options.signal?.aborted)
    throw new PgwardenError('INTERRUPTED', 'interrupted: the backup was stopped, nothing was published');
  if (exit instanceof Error) throw toolFailure(exit, tools.pgDump);
  if (stored instanceof Error) throw writeFailure(stored, partial);
  if (exit.code !== 0 || exit.signal !== null) throw dumpFailure({ ...exit, stderr }, url);
  const size =
    stored?.size ??
    (await sizeOf(partial).catch((error: unknown) => {
      throw fsError(error, partial, 'read the new archive');
    }));
  return { size, ms: Date.now() - started, digest: stored };
}

/** A program that could not be started (removed since it was found, not executable). */
function toolFailure(error: NodeJS.ErrnoException, program: string): PgwardenError {
  return new PgwardenError(
    'TOOL_MISSING',
    `${program} could not be started (${error.code ?? error.message})`,
    {
      hint: 'Install the PostgreSQL client programs or point PG_BIN at their directory.',
      cause: error,
    },
  );
}

/** pgwarden could not write the archive it streams: a full disk, the file-size limit, an I/O error. */
function writeFailure(error: unknown, partial: string): PgwardenError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOSPC'
      ? 'The disk of the backup directory is full; free space or point --backup-dir elsewhere. Nothing was published.'
      : code === 'EFBIG'
        ? 'The file-size limit (ulimit -f) was reached; raise it or use --format directory. Nothing was published.'
        : 'Nothing was published. Fix the cause and run the backup again.';
  return fsError(error, partial, 'write the backup', 'write', hint);
}

function dumpFailure(
  result: { code: number | null; signal: NodeJS.Signals | null; stderr: string },
  url: string | undefined,
) {
  const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
  const text = lastLines(result.stderr, url);
  let code: 'BACKUP_FAILED' | 'DISK_SPACE' | 'PATH_UNWRITABLE' = 'BACKUP_FAILED';
  let hint = 'Nothing was published. Fix the cause and run the backup again.';
  if (result.signal === 'SIGXFSZ' || /File too large/i.test(result.stderr)) {
    code = 'PATH_UNWRITABLE';
    hint =
      'The file-size limit (ulimit -f) was reached; raise it or use --format directory. Nothing was published.';
  } else if (/No space left on device/i.test(result.stderr)) {
    code = 'DISK_SPACE';
    hint =
      'The disk of the backup directory is full; free space or point --backup-dir elsewhere. Nothing was published.';
  } else if (
    /canceling statement due to (statement|lock) timeout|could not obtain lock/i.test(result.stderr)
  ) {
    hint =
      'pg_dump could not get a table lock within --lock-wait-timeout: DDL holds or waits for it. Retry when it is done.';
  }
  return new PgwardenError(code, `pg_dump ${how}: ${text}`, { hint });
}

/** Roles and tablespaces (pg_dumpall --globals-only --no-role-passwords), or null with a note when not permitted. */
async function dumpGlobals(
  tools: ClientTools,
  url: string | undefined,
  dir: string,
  id: string,
  serverVersionNum: number,
  emit: (event: CreateEvent) => void,
): Promise<Manifest['globals']> {
  if (!tools.pgDumpall) {
    emit({ type: 'globals-skipped', reason: `no pg_dumpall next to ${tools.pgDump}` });
    return null;
  }
  const file = globalsName(id);
  const path = join(dir, file);
  const partial = `${path}${PARTIAL}`;
  const target = url ? forLibpq(url) : { url: undefined, password: undefined };
  const args = ['--globals-only', '--no-role-passwords', '--no-password', `--file=${partial}`];
  if (target.url) args.push(`--dbname=${target.url}`);
  const result = await runGuarded(tools.pgDumpall, args, {
    env: withConnectionCheck(libpqEnv(target.password), serverVersionNum),
  }).catch((error: unknown) => {
    throw toolFailure(error as NodeJS.ErrnoException, tools.pgDumpall!);
  });
  if (result.code !== 0 || result.signal !== null) {
    await removeQuietly(partial);
    emit({ type: 'globals-skipped', reason: lastLines(result.stderr, url) });
    return null;
  }
  await restrictMode(partial);
  const size = (await stat(partial)).size;
  const sha256 = await sha256File(partial);
  await publish(partial, path);
  return { file, size, sha256 };
}

/** pg_dump's -Z value, checked against what this pg_dump understands. */
function checkCompression(value: string | undefined, pgDumpMajor: number): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d$/.test(value)) return value;
  if (pgDumpMajor >= 16 && /^(none|gzip|lz4|zstd)(:[a-z0-9=,]+)?$/.test(value)) return value;
  throw new PgwardenError(
    'USAGE',
    `--compress ${value}: pg_dump ${pgDumpMajor} takes ${pgDumpMajor >= 16 ? 'a level 0-9 or gzip|lz4|zstd|none[:level]' : 'a gzip level 0-9 (other methods need pg_dump 16 or newer)'}`,
  );
}

/**
 * `<YYYYMMDD>T<HHMMSS>Z-<database>`, unique within the directory, reserved by creating its
 * `.partial` exclusively — a file with mode 0600 that pg_dump overwrites (custom format), or an
 * empty 0700 directory it fills (directory format) — so two backups started in the same second
 * never share a file, and the data is never readable by others, not even while being written.
 */
async function reserveBackup(dir: string, database: string, format: ArchiveFormat): Promise<string> {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safe = database.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'db';
  const taken = new Set(await listDir(dir));
  for (let n = 1; ; n++) {
    const id = n === 1 ? `${stamp}-${safe}` : `${stamp}-${safe}-${n}`;
    if ([...taken].some((name) => name.startsWith(`${id}.`))) continue;
    const partial = join(dir, `${archiveName(id, format)}${PARTIAL}`);
    try {
      if (format === 'custom') await (await open(partial, 'wx', 0o600)).close();
      else await mkdir(partial, { mode: 0o700 });
      return id;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw fsError(error, partial, 'create the backup file', 'write');
    }
  }
}
