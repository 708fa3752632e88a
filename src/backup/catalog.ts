/**
 * What is in a backup directory: the backups (a manifest and its archive), and every other file
 * with what it is — unfinished `.partial` files, archives without a manifest, plain dumps, SQLite
 * files, invalid manifests (one that names a path outside the directory is one of them), anything
 * else — so `list` can flag them and `prune` can clean what is safe to clean. A backup's flags say
 * when its archive no longer is what the manifest describes (missing, another size, other files).
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileIdentity, identifyFile } from './archive.js';
import { type Manifest, parseManifest } from './manifest.js';
import { GLOBALS_SUFFIX, listDir, MANIFEST_SUFFIX, PARTIAL } from './store.js';

export interface CatalogBackup {
  manifest: Manifest;
  /** absolute path of the archive */
  path: string;
  /** problems seen without reading the archive: missing, size differs, files differ */
  flags: string[];
}

export interface OtherFile {
  name: string;
  path: string;
  /** when it was last modified */
  modifiedAt: Date;
  size: number;
  identity: FileIdentity | undefined;
  /** a `.partial` file: a backup that stopped, or one still being written */
  partial: boolean;
  /** why it is not a backup of pgwarden's, in words */
  reason: string;
}

export interface Catalog {
  dir: string;
  /** newest first */
  backups: CatalogBackup[];
  others: OtherFile[];
}

export async function readCatalog(dir: string): Promise<Catalog> {
  const names = await listDir(dir);
  const backups: CatalogBackup[] = [];
  const claimed = new Set<string>();
  const others: OtherFile[] = [];
  for (const name of names) {
    if (!name.endsWith(MANIFEST_SUFFIX)) continue;
    const path = join(dir, name);
    let manifest: Manifest;
    try {
      manifest = parseManifest(await readFile(path, 'utf8'), path);
    } catch (error) {
      const info = await stat(path);
      others.push({
        name,
        path,
        modifiedAt: info.mtime,
        size: info.size,
        identity: undefined,
        partial: false,
        reason: `invalid manifest, left alone: ${(error as Error).message}`,
      });
      claimed.add(name);
      continue;
    }
    claimed.add(name);
    claimed.add(manifest.archive);
    if (manifest.globals) claimed.add(manifest.globals.file);
    const archive = join(dir, manifest.archive);
    backups.push({ manifest, path: archive, flags: await archiveFlags(archive, manifest) });
  }
  backups.sort((a, b) => b.manifest.finishedAt.localeCompare(a.manifest.finishedAt));
  for (const name of names) {
    if (claimed.has(name)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info) continue;
    const partial = name.endsWith(PARTIAL);
    const identity = partial ? undefined : await identifyFile(path).catch(() => undefined);
    others.push({
      name,
      path,
      modifiedAt: info.mtime,
      size: info.isDirectory() ? 0 : info.size,
      identity,
      partial,
      reason: partial
        ? 'unfinished backup (stopped, or still being written)'
        : await describeOther(name, path, identity),
    });
  }
  return { dir, backups, others };
}

/** What differs between the archive on disk and its manifest, from sizes and names only. */
async function archiveFlags(path: string, manifest: Manifest): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return ['archive missing'];
  if (info.isDirectory() !== (manifest.format === 'directory'))
    return [
      `the archive is ${info.isDirectory() ? 'a directory' : 'not a directory'}, the manifest says ${manifest.format} format`,
    ];
  if (!info.isDirectory()) {
    return info.size === manifest.size
      ? []
      : [`size ${info.size} differs from the manifest's ${manifest.size} (truncated or changed)`];
  }
  const expected = new Map(manifest.files.map((f) => [f.name, f.size]));
  const flags: string[] = [];
  let total = 0;
  for (const name of (await readdir(path).catch(() => [])).sort()) {
    const file = await stat(join(path, name)).catch(() => undefined);
    if (!file?.isFile()) continue;
    total += file.size;
    const size = expected.get(name);
    if (size === undefined) flags.push(`${name} is not in the manifest`);
    else if (size !== file.size) flags.push(`${name}: size ${file.size} differs from the manifest's ${size}`);
    expected.delete(name);
  }
  for (const name of expected.keys()) flags.push(`${name} missing from the archive`);
  if (flags.length === 0 && total !== manifest.size)
    flags.push(`size ${total} differs from the manifest's ${manifest.size} (truncated or changed)`);
  return flags;
}

async function describeOther(
  name: string,
  path: string,
  identity: FileIdentity | undefined,
): Promise<string> {
  if (!identity) return 'unreadable';
  switch (identity.kind) {
    case 'sqlite':
      return 'SQLite database, not a PostgreSQL dump';
    case 'empty':
      return 'empty file';
    case 'unknown':
      return name.endsWith(GLOBALS_SUFFIX)
        ? 'roles dump without its backup'
        : `not a PostgreSQL dump${identity.detail ? ` (${identity.detail})` : ''}`;
    case 'cluster-dump':
      return 'pg_dumpall script (whole cluster), not a backup of one database';
    case 'plain':
      return (await endsComplete(path))
        ? 'plain SQL dump without a manifest (never verified)'
        : 'plain SQL dump that does not end with "dump complete" (truncated)';
    case 'plain-gzip':
      return 'gzip-compressed plain SQL dump without a manifest (never verified)';
    default:
      if (!identity.header) return `damaged pg_dump archive (${identity.detail ?? 'unreadable header'})`;
      return `pg_dump archive${identity.header?.database ? ` of database "${identity.header.database}"` : ''} without a manifest (never verified)`;
  }
}

/** Whether a plain dump's last bytes hold pg_dump's completion line (a cheap truncation check). */
async function endsComplete(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 4096);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').includes('-- PostgreSQL database dump complete');
  } finally {
    await handle.close();
  }
}

/** The database a file belongs to, when it says (archives carry it in their header). */
export function databaseOf(file: OtherFile): string | undefined {
  return file.identity?.header?.database ?? undefined;
}
