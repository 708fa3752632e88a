/**
 * The restore preflight and preview, without side effects: which archive, of which database, how
 * old; whether the local pg_restore reads it and the target server can take it; whether the
 * target is the database it came from; whether a plain dump holds anything but SQL pgwarden can
 * vet; whether the safety backup fits on disk; who else is connected; and per table the rows live
 * against the rows in the backup. The live state it read is returned too, to check after a failed
 * restore whether the database is still as it was (live-state.ts).
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type pg from 'pg';
import { type ClientTools, findClientTools } from '../db/client-tools.js';
import { describeTarget } from '../db/connect.js';
import type { ErrorCode } from '../errors/codes.js';
import { majorOf, minPgRestoreMajor } from './archive.js';
import { readCatalog } from './catalog.js';
import { displayTable, tableKey } from './copy-counter.js';
import { type LiveState, type LiveTable, readLiveState } from './live-state.js';
import type { ReadOptions } from './read-archive.js';
import type { RestoreSource, SourceRows } from './restore-source.js';
import { sourceRows } from './restore-source.js';
import { type DatabaseIdentity, databaseIdentity, WRITES_SQL } from './snapshot.js';
import { digestArchive } from './store.js';

export interface PreviewTable {
  schema: string;
  name: string;
  /** rows now; null when the table does not exist live */
  live: number | null;
  /** true when `live` is the planner's estimate (the exact count took too long) */
  liveEstimated: boolean;
  /** rows in the backup; null when the backup has no such table */
  backup: number | null;
  /** backup − live: what the restore changes */
  delta: number | null;
}

export interface Session {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  since: string | null;
}

export interface Problem {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export interface RestorePreview {
  source: {
    id: string | null;
    path: string;
    kind: string;
    database: string | null;
    serverVersion: string | null;
    dumpVersion: string | null;
    createdAt: string | null;
    ageMs: number | null;
    reason: string | null;
    verified: boolean | null;
    gitCommit: string | null;
    countsFrom: SourceRows['from'];
  };
  target: {
    database: string;
    where: string;
    serverVersion: string;
    oid: number;
  };
  tables: PreviewTable[];
  totals: { live: number; backup: number };
  sinceBackup: { walBytes: number | null; rowsWritten: number | null };
  sessions: Session[];
  safetyBackup: { estimatedBytes: number; freeBytes: number | null; dir: string };
  /** reasons the restore would be refused */
  problems: Problem[];
  warnings: string[];
}

export interface PreviewOptions extends ReadOptions {
  source: RestoreSource;
  /** connected to the target */
  client: pg.Client;
  url: string | undefined;
  /** where the safety backup goes */
  backupDir: string;
  /** a backup of another database may be restored here */
  allowOtherDatabase?: boolean;
  tools?: ClientTools;
  now?: Date;
}

export async function previewRestore(options: PreviewOptions): Promise<{
  preview: RestorePreview;
  tools: ClientTools;
  rows: SourceRows;
  identity: DatabaseIdentity;
  /** what the preview read of the live database (objects by OID, rows per table) */
  liveState: LiveState;
}> {
  const { source, client } = options;
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const identity = await databaseIdentity(client);
  const targetMajor = Math.floor(identity.serverVersionNum / 10000);
  const tools = options.tools ?? (await findClientTools(targetMajor, 'restoring needs pg_restore and psql'));

  // versions: archive vs local pg_restore vs target server
  if (source.header) {
    const needs = minPgRestoreMajor(source.header.version);
    if (needs > tools.major) {
      problems.push({
        code: 'RESTORE_INCOMPATIBLE',
        message: `the archive (format ${source.header.version.join('.')}) needs pg_restore ${needs} or newer; ${tools.pgRestore} is ${tools.version}`,
        hint: `Install the PostgreSQL ${needs} client programs (Debian: postgresql-client-${needs}) or point PG_BIN at them.`,
      });
    }
  }
  const sourceMajor = majorOf(source.serverVersion);
  if (sourceMajor !== undefined && sourceMajor > targetMajor) {
    problems.push({
      code: 'RESTORE_INCOMPATIBLE',
      message: `the dump comes from PostgreSQL ${sourceMajor}; the target runs ${identity.serverVersion}, an older major that may not accept it`,
      hint: 'Restore into a server of the same or a newer major version.',
    });
  }
  const dumpMajor = majorOf(source.dumpVersion);
  if (
    (source.kind === 'plain' || source.kind === 'plain-gzip') &&
    dumpMajor !== undefined &&
    dumpMajor > tools.major
  ) {
    problems.push({
      code: 'RESTORE_INCOMPATIBLE',
      message: `the dump was written by pg_dump ${source.dumpVersion}; the local psql (${tools.version}) may not understand it`,
      hint: `Install the PostgreSQL ${dumpMajor} client programs or point PG_BIN at them.`,
    });
  }

  // identity
  if (source.database !== null && source.database !== identity.name) {
    const message = `the backup is of database "${source.database}", the target is "${identity.name}" (${describeTarget(options.url)})`;
    if (options.allowOtherDatabase) warnings.push(message);
    else {
      problems.push({
        code: 'BACKUP_FOREIGN',
        message,
        hint: 'Check --database-url and the backup id. To copy one database into another on purpose, add --allow-other-database.',
      });
    }
  } else if (source.database === null) {
    warnings.push('a plain SQL dump does not say which database it came from; check it is the right one');
  }
  const m = source.manifest;
  if (m && m.database.name === identity.name) {
    if (
      m.database.systemIdentifier &&
      identity.systemIdentifier &&
      m.database.systemIdentifier !== identity.systemIdentifier
    ) {
      warnings.push(
        `the backup comes from another server (system identifier ${m.database.systemIdentifier}, target ${identity.systemIdentifier})`,
      );
    } else if (m.database.oid !== identity.oid) {
      warnings.push(
        `the database was recreated since the backup (OID ${m.database.oid} then, ${identity.oid} now)`,
      );
    }
  }
  if (m) {
    const digest = await digestArchive(source.path);
    if (digest.size !== m.size || digest.sha256 !== m.sha256) {
      problems.push({
        code: 'BACKUP_INVALID',
        message: `the archive of backup ${m.id} no longer matches its manifest (${digest.size !== m.size ? `size ${digest.size} bytes, recorded ${m.size}` : 'SHA-256 differs'}): it is truncated or corrupted`,
        hint: 'Restore another backup (pgwarden backup list).',
      });
    }
  }
  if (m && m.verification?.ok !== true) {
    warnings.push(
      m.verification
        ? 'this backup FAILED its last verification'
        : 'this backup was never verified (pgwarden backup verify)',
    );
  }

  // rows
  // an archive the local tools cannot read is not read (the version problem says why)
  const unreadable = problems.some((p) => p.code === 'RESTORE_INCOMPATIBLE');
  const rows: SourceRows = unreadable
    ? { tables: [], from: 'archive', complete: true, largeObjects: false, problems: [] }
    : await sourceRows(source, tools, { ...options, database: identity.name });
  if (rows.largeObjects) {
    problems.push({
      code: 'BACKUP_FOREIGN',
      message: `${source.path}: the plain dump holds large objects in transactions of their own, so it cannot be restored atomically`,
      hint: 'Use a custom-format dump (pg_dump -Fc) of the database.',
    });
  }
  for (const p of rows.problems) {
    problems.push({
      code: p.code,
      message: `${source.path}: ${p.message}`,
      ...(p.hint ? { hint: p.hint } : {}),
    });
  }
  // a dump whose reading stopped at a problem did not get to its last line
  if (!rows.complete && rows.problems.length === 0) {
    problems.push({
      code: 'BACKUP_INVALID',
      message: `${source.path}: the dump does not end with pg_dump's "dump complete" line: it is truncated`,
      hint: 'Use a complete dump.',
    });
  }
  const liveState = await readLiveState(client);
  const tables = mergeTables(liveState.tables, rows);
  if (m && m.verification?.ok === false) {
    problems.push({
      code: 'BACKUP_INVALID',
      message: `backup ${m.id} failed verification: ${m.verification.problems.join('; ')}`,
      hint: 'Restore another backup (pgwarden backup list).',
    });
  }

  // what happened since
  let walBytes: number | null = null;
  let rowsWritten: number | null = null;
  if (m && m.database.oid === identity.oid) {
    const sameServer =
      !m.database.systemIdentifier || m.database.systemIdentifier === identity.systemIdentifier;
    if (sameServer && m.snapshot.walLsn) {
      const wal = await client
        .query<{ bytes: string }>(
          `SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, $1::pg_lsn)::text AS bytes`,
          [m.snapshot.walLsn],
        )
        .catch(() => undefined);
      walBytes = wal ? Number(wal.rows[0]!.bytes) : null;
    }
    const writes = await client.query<{ writes: number; stats_reset: string | null }>(WRITES_SQL);
    if ((writes.rows[0]?.stats_reset ?? null) === m.snapshot.statsReset) {
      rowsWritten = Math.max(0, Number(writes.rows[0]!.writes) - m.snapshot.writes);
    }
  }

  const sessions = await otherSessions(client);
  const safety = await safetySpace(options.backupDir, identity);
  if (safety.freeBytes !== null && safety.freeBytes < safety.estimatedBytes) {
    problems.push({
      code: 'DISK_SPACE',
      message: `the safety backup of the current database needs about ${safety.estimatedBytes} bytes in ${options.backupDir}; ${safety.freeBytes} are free`,
      hint: 'Free space there or point --backup-dir at a disk with room.',
    });
  }

  const now = options.now ?? new Date();
  const preview: RestorePreview = {
    source: {
      id: m?.id ?? null,
      path: source.path,
      kind: source.kind,
      database: source.database,
      serverVersion: source.serverVersion,
      dumpVersion: source.dumpVersion,
      createdAt: source.createdAt?.toISOString() ?? null,
      ageMs: source.createdAt ? now.getTime() - source.createdAt.getTime() : null,
      reason: m?.reason ?? null,
      verified: m ? m.verification?.ok === true : null,
      gitCommit: m?.gitCommit ?? null,
      countsFrom: rows.from,
    },
    target: {
      database: identity.name,
      where: describeTarget(options.url),
      serverVersion: identity.serverVersion,
      oid: identity.oid,
    },
    tables,
    totals: {
      live: tables.reduce((n, t) => n + (t.live ?? 0), 0),
      backup: tables.reduce((n, t) => n + (t.backup ?? 0), 0),
    },
    sinceBackup: { walBytes, rowsWritten },
    sessions,
    safetyBackup: safety,
    problems,
    warnings,
  };
  return { preview, tools, rows, identity, liveState };
}

function mergeTables(live: LiveTable[], rows: SourceRows): PreviewTable[] {
  const byKey = new Map<string, PreviewTable>();
  for (const t of rows.tables) {
    byKey.set(tableKey(t.schema, t.name), {
      schema: t.schema,
      name: t.name,
      live: null,
      liveEstimated: false,
      backup: t.rows,
      delta: null,
    });
  }
  for (const t of live) {
    const key = tableKey(t.schema, t.name);
    const entry = byKey.get(key) ?? {
      schema: t.schema,
      name: t.name,
      live: null,
      liveEstimated: false,
      backup: null,
      delta: null,
    };
    entry.live = t.rows;
    entry.liveEstimated = t.estimated;
    byKey.set(key, entry);
  }
  const tables = [...byKey.values()];
  for (const t of tables) t.delta = t.live !== null && t.backup !== null ? t.backup - t.live : null;
  return tables.sort((a, b) => displayTable(a.schema, a.name).localeCompare(displayTable(b.schema, b.name)));
}

export async function otherSessions(client: pg.Client): Promise<Session[]> {
  const { rows } = await client.query<Session>(
    `SELECT pid, usename AS user, application_name AS application, state, backend_start::text AS since
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      ORDER BY backend_start`,
  );
  return rows;
}

/** The safety backup's likely size (scaled from the last backup of this database) and the free space. */
async function safetySpace(dir: string, identity: DatabaseIdentity): Promise<RestorePreview['safetyBackup']> {
  let ratio = 1;
  if (existsSync(dir)) {
    const last = (await readCatalog(dir).catch(() => undefined))?.backups.find(
      (b) => b.manifest.database.name === identity.name && b.manifest.database.sizeBytes > 0,
    );
    if (last) ratio = last.manifest.size / last.manifest.database.sizeBytes;
  }
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const fs = await statfs(probe).catch(() => undefined);
  return {
    estimatedBytes: Math.ceil(identity.sizeBytes * ratio * 1.1),
    freeBytes: fs ? fs.bavail * fs.bsize : null,
    dir,
  };
}
