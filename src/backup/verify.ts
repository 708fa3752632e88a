/**
 * `backup verify [id]`: the archive is there and has the manifest's size and SHA-256, its header
 * is a pg_dump archive of the manifest's database that the local pg_restore can read, and every
 * data block reads back with the manifest's row counts. `--restore-test` also restores it into a
 * scratch database and counts there. The outcome is recorded in the manifest.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClientTools, findClientTools } from '../db/client-tools.js';
import { connect } from '../db/connect.js';
import { forLibpq, libpqEnv, withDatabase } from '../db/libpq.js';
import { createScratchDatabase, dropScratchDatabase, scratchName } from '../db/scratch-database.js';
import { PgwardenError } from '../errors/pgwarden-error.js';
import { quoteQualified } from '../sql/quote.js';
import { withConnectionCheck } from '../util/connection-check.js';
import { runGuarded } from '../util/spawn-guarded.js';
import { identifyFile, majorOf, minPgRestoreMajor } from './archive.js';
import { readCatalog } from './catalog.js';
import type { TableRows } from './copy-counter.js';
import { verifyRows } from './create.js';
import { type Manifest, readManifest, type Verification, writeManifest } from './manifest.js';
import { compareRows, lastLines } from './read-archive.js';
import { digestArchive, fsError } from './store.js';

export interface VerifyCheck {
  name: 'archive' | 'checksum' | 'header' | 'rows' | 'restore-test';
  ok: boolean;
  detail: string;
}

export interface VerifyResult {
  id: string;
  ok: boolean;
  checks: VerifyCheck[];
  verification: Verification;
}

export interface VerifyOptions {
  dir: string;
  /** default: the newest backup */
  id?: string | undefined;
  restoreTest?: boolean;
  /** the server for --restore-test's scratch database */
  databaseUrl?: string | undefined;
  signal?: AbortSignal;
  tools?: ClientTools;
  onCheck?: (check: VerifyCheck) => void;
}

export async function verifyBackup(options: VerifyOptions): Promise<VerifyResult> {
  if (options.restoreTest && !options.databaseUrl) {
    throw new PgwardenError(
      'USAGE',
      '--restore-test needs the server to restore on: --database-url or DATABASE_URL',
    );
  }
  const id = options.id ?? (await newestId(options.dir));
  const manifest = await readManifest(options.dir, id);
  const checks: VerifyCheck[] = [];
  const add = (check: VerifyCheck) => {
    checks.push(check);
    options.onCheck?.(check);
    return check.ok;
  };
  const path = join(options.dir, manifest.archive);
  const tools =
    options.tools ??
    (await findClientTools(majorOf(manifest.pgDumpVersion) ?? 0, 'verifying a backup needs its pg_restore'));
  let method: Verification['method'] = 'full-read';
  const ok = await (async () => {
    const info = await stat(path).catch(() => undefined);
    if (
      !add({
        name: 'archive',
        ok: info !== undefined,
        detail: info ? manifest.archive : `${path} is missing`,
      })
    )
      return false;
    const digest = await digestArchive(path);
    const sameFiles =
      manifest.format !== 'directory' ||
      JSON.stringify(digest.files.map((f) => [f.name, f.sha256])) ===
        JSON.stringify(manifest.files.map((f) => [f.name, f.sha256]));
    const checksumOk = digest.size === manifest.size && digest.sha256 === manifest.sha256 && sameFiles;
    if (
      !add({
        name: 'checksum',
        ok: checksumOk,
        detail: checksumOk
          ? `sha256 ${manifest.sha256.slice(0, 16)}…, ${manifest.size} bytes`
          : digest.size !== manifest.size
            ? `size ${digest.size} bytes, the manifest says ${manifest.size} (truncated or changed)`
            : 'SHA-256 differs from the manifest: the archive was changed or corrupted',
      })
    )
      return false;
    const identity = await identifyFile(path);
    const header = identity.header;
    let headerProblem: string | undefined;
    if (!header || (identity.kind !== 'custom' && identity.kind !== 'directory')) {
      headerProblem = `not a pg_dump archive (${identity.detail ?? identity.kind})`;
    } else if (header.database !== manifest.database.name) {
      headerProblem = `the archive is of database "${header.database}", the manifest says "${manifest.database.name}"`;
    } else if (minPgRestoreMajor(header.version) > tools.major) {
      headerProblem = `archive version ${header.version.join('.')} needs pg_restore ${minPgRestoreMajor(header.version)} or newer; ${tools.pgRestore} is ${tools.version}`;
    }
    if (
      !add({
        name: 'header',
        ok: headerProblem === undefined,
        detail:
          headerProblem ??
          `archive ${header!.version.join('.')} of "${header!.database}", pg_dump ${header!.dumpVersion}`,
      })
    )
      return false;
    const read = await verifyRows(tools, path, manifest.tables, options.signal);
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    if (
      !add({
        name: 'rows',
        ok: read.ok,
        detail: read.ok
          ? `every data block read: ${manifest.tables.length} tables, ${rows} rows as recorded`
          : read.problems.join('; '),
      })
    )
      return false;
    if (!options.restoreTest) return true;
    method = 'restore-test';
    const problems = await restoreTest(tools, manifest, path, options.databaseUrl!);
    return add({
      name: 'restore-test',
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? 'restored into a scratch database; every table has its rows'
          : problems.join('; '),
    });
  })();
  const verification: Verification = {
    at: new Date().toISOString(),
    ok,
    method,
    pgRestoreVersion: tools.version,
    problems: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
  };
  await writeManifest(options.dir, { ...manifest, verification }).catch((error: unknown) => {
    throw fsError(
      error,
      options.dir,
      'record the verification in the manifest',
      'write',
      `The checks above ${ok ? 'passed' : 'did not pass'}; only the record of them is missing. Run verify where the directory is writable to record it.`,
    );
  });
  return { id, ok, checks, verification };
}

async function newestId(dir: string): Promise<string> {
  const newest = (await readCatalog(dir)).backups[0];
  if (!newest) {
    throw new PgwardenError('BACKUP_NOT_FOUND', `no backups in ${dir}`, {
      hint: 'Create one: pgwarden backup create',
    });
  }
  return newest.manifest.id;
}

/** Restores into a scratch database on the server, counts every table there, drops it. */
async function restoreTest(
  tools: ClientTools,
  manifest: Manifest,
  path: string,
  url: string,
): Promise<string[]> {
  const live = await connect({ url, applicationName: 'pgwarden verify' });
  const name = scratchName();
  let created = false;
  try {
    await createScratchDatabase(live, name);
    created = true;
    const scratchUrl = withDatabase(url, name);
    const target = forLibpq(scratchUrl);
    const versionNum = Number(
      (await live.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v,
    );
    const result = await runGuarded(
      tools.pgRestore,
      [
        '--no-owner',
        '--no-acl',
        '--exit-on-error',
        '--single-transaction',
        '--no-password',
        `--dbname=${target.url}`,
        path,
      ],
      { env: withConnectionCheck(libpqEnv(target.password), versionNum) },
    );
    if (result.code !== 0)
      return [`pg_restore into the scratch database failed: ${lastLines(result.stderr, url)}`];
    const scratch = await connect({ url: scratchUrl, applicationName: 'pgwarden verify' });
    try {
      const counted: TableRows[] = [];
      for (const t of manifest.tables) {
        const q = quoteQualified(t.schema, t.name);
        const n = await scratch
          .query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q}`)
          .catch(() => undefined);
        if (n) counted.push({ ...t, rows: Number(n.rows[0]!.n) });
      }
      return compareRows(manifest.tables, counted, 'after the restore');
    } finally {
      await scratch.end().catch(() => undefined);
    }
  } finally {
    if (created) await dropScratchDatabase(live, url, name);
    await live.end().catch(() => undefined);
  }
}
