/**
 * The manifest: `<id>.manifest.json`, written last (after the archive is complete, fsynced and
 * renamed), so a backup without one is not a backup. It says what the archive is, which database
 * it came from, the exact row count of every table in the dump's own snapshot, and whether (and
 * how) it was verified.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { manifestName, writeFileAtomic } from './store.js';

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
  }),
  tables: z.array(tableRows),
  globals: z.object({ file: z.string(), size: z.number().int(), sha256: z.string() }).nullable(),
  verification: verification.nullable(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type Verification = z.infer<typeof verification>;

/** Reads and validates a manifest; BACKUP_INVALID naming the file when it is not one of ours. */
export async function readManifest(dir: string, id: string): Promise<Manifest> {
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
  return result.data;
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, manifestName(manifest.id)), `${JSON.stringify(manifest, null, 2)}\n`);
}
