/**
 * The manifest: `<id>.manifest.json`, written last (after the archive is complete, fsynced and
 * renamed), so a backup without one is not a backup. It says what the archive is, which database
 * it came from, the exact row count of every table in the dump's own snapshot, and whether (and
 * how) it was verified.
 *
 * Every name in it is checked against the one pgwarden writes — `id` is the manifest file's own
 * id, `archive` is `<id>.dump` or `<id>.dir`, the globals file `<id>.globals.sql`, each a single
 * path component — so no reader (list, prune, verify, restore, deploy) ever follows a manifest to
 * a path outside the backup directory, or to another backup's files.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PgwardenError } from '../errors/pgwarden-error.js';
import {
  archiveName,
  globalsName,
  isPlainName,
  MANIFEST_SUFFIX,
  manifestName,
  writeFileAtomic,
} from './store.js';

export const BACKUP_REASONS = ['manual', 'pre-deploy', 'pre-restore'] as const;
export type BackupReason = (typeof BACKUP_REASONS)[number];

const tableRows = z.object({ schema: z.string(), name: z.string(), rows: z.number().int().min(0) });

const verification = z.object({
  at: z.string(),
  ok: z.boolean(),
  /** full-read: every data block read back by pg_restore and counted; restore-test: restored into a scratch database */
  method: z.enum(['full-read', 'restore-test']),
  pgRestoreVersion: z.string(),
  problems: z.array(z.string()),
});

export const manifestSchema = z.object({
  pgwarden: z.literal(1),
  id: z.string(),
  format: z.enum(['custom', 'directory']),
  /** the archive's name inside the backup directory */
  archive: z.string(),
  reason: z.enum(BACKUP_REASONS),
  /** kept by prune regardless of age and count (a pre-deploy backup until its deploy is recorded good) */
  pinned: z.boolean(),
  database: z.object({
    name: z.string(),
    oid: z.number().int(),
    /** pg_control_system()'s system identifier, when the role may read it */
    systemIdentifier: z.string().nullable(),
    sizeBytes: z.number(),
  }),
  server: z.object({ version: z.string(), versionNum: z.number().int() }),
  pgDumpVersion: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  files: z.array(z.object({ name: z.string(), size: z.number().int(), sha256: z.string() })),
  compression: z.string().nullable(),
  gitCommit: z.string().nullable(),
  snapshot: z.object({
    /** WAL position of the snapshot (to tell how much was written since) */
    walLsn: z.string().nullable(),
    /** rows inserted + updated + deleted in user tables since the statistics were reset, at the snapshot */
    writes: z.number(),
    statsReset: z.string().nullable(),
    /** txid_current_snapshot() of the snapshot, e.g. "1234:1240:1236": rows with newer xmin were written after it (absent before pgwarden 0.2) */
    txid: z.string().nullable().optional(),
  }),
  tables: z.array(tableRows),
  globals: z.object({ file: z.string(), size: z.number().int(), sha256: z.string() }).nullable(),
  verification: verification.nullable(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type Verification = z.infer<typeof verification>;

/** Reads and validates a manifest; BACKUP_INVALID naming the file when it is not one of ours. */
export async function readManifest(dir: string, id: string): Promise<Manifest> {
  if (!isPlainName(id)) {
    throw new PgwardenError('BACKUP_NOT_FOUND', `"${id}" is not a backup id (ids have no slashes)`, {
      hint: 'pgwarden backup list shows the backups there; give a dump file by its path instead.',
    });
  }
  const path = join(dir, manifestName(id));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PgwardenError('BACKUP_NOT_FOUND', `no backup "${id}" in ${dir}`, {
        hint: 'pgwarden backup list shows the backups there.',
      });
    }
    throw new PgwardenError(
      'PATH_UNREADABLE',
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  return parseManifest(text, path);
}

export function parseManifest(text: string, path: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PgwardenError(
      'BACKUP_INVALID',
      `${path}: the manifest is not valid JSON (${(error as Error).message})`,
    );
  }
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new PgwardenError(
      'BACKUP_INVALID',
      `${path}: not a pgwarden backup manifest (${first ? `${first.path.join('.') || 'top level'}: ${first.message}` : 'invalid'})`,
    );
  }
  const wrong = wrongName(result.data, path);
  if (wrong) {
    throw new PgwardenError('BACKUP_INVALID', `${path}: invalid manifest: ${wrong}`, {
      hint: 'pgwarden did not write it (or it was edited); it is left alone. Move it out of the backup directory.',
    });
  }
  return result.data;
}

/** The first name in the manifest that is not the one pgwarden writes, in words; undefined when all are. */
function wrongName(m: Manifest, path: string): string | undefined {
  const file = basename(path);
  const ownId = file.endsWith(MANIFEST_SUFFIX) ? file.slice(0, -MANIFEST_SUFFIX.length) : undefined;
  const show = (name: string) => JSON.stringify(name);
  if (!isPlainName(m.id)) return `id ${show(m.id)} is not a single file name`;
  if (ownId !== undefined && m.id !== ownId)
    return `id ${show(m.id)} is not the file's own id ${show(ownId)}`;
  const archive = archiveName(m.id, m.format);
  if (m.archive !== archive) return `archive ${show(m.archive)} is not ${show(archive)}`;
  if (m.globals && m.globals.file !== globalsName(m.id))
    return `globals file ${show(m.globals.file)} is not ${show(globalsName(m.id))}`;
  const member = m.files.find((f) => !isPlainName(f.name));
  if (member) return `archive member ${show(member.name)} is not a single file name`;
  return undefined;
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, manifestName(manifest.id)), `${JSON.stringify(manifest, null, 2)}\n`);
}
