/**
 * What is being restored: a backup of the backup directory (by id, or the path of its archive),
 * or a foreign file — a custom/directory/tar archive without our manifest, or a plain SQL dump
 * (raw or gzip). Its rows per table come from the manifest, else from reading the whole file as a
 * stream (constant memory, any size). A plain dump is always read in full: the same pass vets it
 * (psql-input.ts, plain-script.ts) and gives the reasons it cannot be restored.
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ClientTools } from '../db/client-tools.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { type ArchiveHeader, type ArchiveKind, identifyFile } from './archive.js';
import type { TableRows } from './copy-counter.js';
import { type Manifest, readManifest } from './manifest.js';
import type { ScriptProblem } from './plain-script.js';
import { readPlainDump } from './psql-input.js';
import { type ReadOptions, readArchiveRows } from './read-archive.js';
import { MANIFEST_SUFFIX } from './store.js';

export interface RestoreSource {
  /** absolute path of the archive or dump */
  path: string;
  kind: ArchiveKind;
  /** the backup's manifest, when it is one of ours */
  manifest: Manifest | undefined;
  /** the directory holding the manifest (for a backup) */
  dir: string | undefined;
  header: ArchiveHeader | undefined;
  /** database name the dump says it came from (archives, manifests; plain dumps do not say) */
  database: string | null;
  /** "15.18 (Debian …)" when known */
  serverVersion: string | null;
  dumpVersion: string | null;
  createdAt: Date | undefined;
}

const RESTORABLE: ReadonlySet<ArchiveKind> = new Set(['custom', 'directory', 'tar', 'plain', 'plain-gzip']);

/** Finds the source: an existing path first, else a backup id in `dir`. */
export async function resolveSource(
  ref: string,
  options: { cwd: string; dir: string },
): Promise<RestoreSource> {
  const asPath = resolve(options.cwd, ref);
  if (existsSync(asPath)) {
    const manifestPath = manifestBeside(asPath);
    if (manifestPath) {
      const id = basename(manifestPath).slice(0, -MANIFEST_SUFFIX.length);
      return fromManifest(await readManifest(dirname(manifestPath), id), dirname(manifestPath));
    }
    return fromFile(asPath);
  }
  if (ref.includes('/') || !existsSync(options.dir)) {
    throw new PgwardenError(
      'BACKUP_NOT_FOUND',
      `${ref}: no such file, and no backup with that id in ${options.dir}`,
      {
        hint: 'Give a backup id from pgwarden backup list, or the path of a dump file.',
      },
    );
  }
  return fromManifest(await readManifest(options.dir, ref), options.dir);
}

/** `<id>.dump` / `<id>.dir` next to `<id>.manifest.json` → that manifest's path. */
function manifestBeside(path: string): string | undefined {
  const name = basename(path);
  const id = name.replace(/\.(dump|dir)$/, '');
  if (id === name) return undefined;
  const candidate = join(dirname(path), `${id}${MANIFEST_SUFFIX}`);
  return existsSync(candidate) ? candidate : undefined;
}

async function fromManifest(manifest: Manifest, dir: string): Promise<RestoreSource> {
  const path = join(dir, manifest.archive);
  const identity = await identifyFile(path).catch(() => undefined);
  if (!identity) {
    throw new PgwardenError('BACKUP_INVALID', `${path}: the archive of backup ${manifest.id} is missing`, {
      hint: 'pgwarden backup list shows which backups are complete.',
    });
  }
  return {
    path,
    kind: identity.kind,
    manifest,
    dir,
    header: identity.header,
    database: manifest.database.name,
    serverVersion: manifest.server.version,
    dumpVersion: manifest.pgDumpVersion,
    createdAt: new Date(manifest.startedAt),
  };
}

async function fromFile(path: string): Promise<RestoreSource> {
  const identity = await identifyFile(path);
  if (!RESTORABLE.has(identity.kind)) {
    const what =
      identity.kind === 'sqlite'
        ? 'a SQLite database'
        : identity.kind === 'cluster-dump'
          ? 'a pg_dumpall script of a whole cluster'
          : identity.kind === 'empty'
            ? 'an empty file'
            : `not a PostgreSQL dump${identity.detail ? ` (${identity.detail})` : ''}`;
    throw new PgwardenError(
      'BACKUP_FOREIGN',
      `${path}: ${what}; it cannot be restored into a PostgreSQL database`,
      {
        hint: 'Restore a pg_dump archive (custom, directory, tar) or a plain pg_dump SQL file.',
      },
    );
  }
  const header = identity.header;
  let serverVersion = header?.serverVersion ?? null;
  let dumpVersion = header?.dumpVersion ?? null;
  if (identity.kind === 'plain') ({ serverVersion, dumpVersion } = await plainVersions(path));
  const info = await stat(path);
  return {
    path,
    kind: identity.kind,
    manifest: undefined,
    dir: undefined,
    header,
    database: header?.database ?? null,
    serverVersion,
    dumpVersion,
    createdAt: header?.createdAt ?? info.mtime,
  };
}

/** The versions pg_dump writes in a plain dump's opening comment lines. */
async function plainVersions(
  path: string,
): Promise<{ serverVersion: string | null; dumpVersion: string | null }> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const lines = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
    const after = (prefix: string) =>
      lines
        .find((l) => l.startsWith(prefix))
        ?.slice(prefix.length)
        .trim() ?? null;
    return {
      serverVersion: after('-- Dumped from database version'),
      dumpVersion: after('-- Dumped by pg_dump version'),
    };
  } finally {
    await handle.close();
  }
}

export interface SourceRows {
  tables: TableRows[];
  /** where the counts come from */
  from: 'manifest' | 'archive';
  /** plain dumps: the completion line was seen */
  complete: boolean;
  largeObjects: boolean;
  /** plain dumps: why psql must not run the script (psql commands, transaction control…) */
  problems: ScriptProblem[];
}

/**
 * Rows per table in the source: the manifest's, else read from the whole file. A plain dump is
 * vetted in the same pass; `database` is the target (a `\connect` to it is accepted).
 */
export async function sourceRows(
  source: RestoreSource,
  tools: ClientTools,
  options: ReadOptions & { database?: string } = {},
): Promise<SourceRows> {
  const { database, onBytes, signal } = options;
  const read: ReadOptions = { ...(onBytes ? { onBytes } : {}), ...(signal ? { signal } : {}) };
  if (source.kind === 'plain' || source.kind === 'plain-gzip') {
    const facts = await readPlainDump(source.path, source.kind, { ...read, database });
    return {
      tables: source.manifest ? source.manifest.tables : facts.tables,
      from: source.manifest ? 'manifest' : 'archive',
      complete: facts.complete,
      largeObjects: facts.largeObjects,
      problems: facts.problems,
    };
  }
  if (source.manifest) {
    return {
      tables: source.manifest.tables,
      from: 'manifest',
      complete: true,
      largeObjects: false,
      problems: [],
    };
  }
  const counts = await readArchiveRows(tools, source.path, read);
  return { tables: counts.tables, from: 'archive', complete: true, largeObjects: false, problems: [] };
}
