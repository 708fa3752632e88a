/**
 * bench/backup: the ways compared, each as a measured child process spawned with an argument array
 * (no shell): raw `pg_dump -Fc` and `pgwarden backup create` for the backup, and
 * `pgwarden restore --preview` and the naive whole-file regex (naive-preview.mjs) for the preview.
 * Both pgwarden and the raw way use the same pg_dump: the one installed with the cluster's server
 * (not Debian's /usr/bin wrapper script), passed to pgwarden as PG_BIN.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { postgresBinDirs } from '../../dist/util/pg-bin-dirs.js';
import { runMeasured } from './measure.mjs';

/** The directory of the pg_dump both ways use: next to the cluster's (resolved) initdb, else the first on the search path. */
export function toolDir(cluster) {
  const serverDir = dirname(realpathSync(join(cluster.binDir, 'initdb')));
  if (existsSync(join(serverDir, 'pg_dump'))) return serverDir;
  const found = postgresBinDirs().find((d) => existsSync(join(d, 'pg_dump')));
  if (!found) throw new Error('pg_dump was not found (PG_BIN, PATH, /usr/lib/postgresql/*/bin)');
  return found;
}

/** Environment for the children: no inherited PG* or DATABASE_URL, then what each way needs. */
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PG') && k !== 'DATABASE_URL') env[k] = v;
  return { ...env, ...extra };
}

/** URL of `database` on the cluster, with or without the password. */
export function databaseUrl(cluster, database, withPassword = false) {
  const auth = withPassword ? `${cluster.user}:${encodeURIComponent(cluster.password)}` : cluster.user;
  return `postgres://${auth}@${cluster.host}:${cluster.port}/${encodeURIComponent(database)}`;
}

/** `pg_dump` with the password in PGPASSWORD and the URL without it. */
export function pgDump(cluster, database, args) {
  return runMeasured(
    join(toolDir(cluster), 'pg_dump'),
    [...args, '--dbname', databaseUrl(cluster, database)],
    { env: childEnv({ PGPASSWORD: cluster.password }) },
  );
}

/** The raw way: `pg_dump -Fc -f <file>`. */
export function rawDump(cluster, database, file) {
  return pgDump(cluster, database, ['-Fc', '-f', file]);
}

/** The pgwarden CLI of this checkout, with DATABASE_URL (password included) and PG_BIN set. */
function pgwarden(root, cluster, database, args) {
  return runMeasured(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], {
    env: childEnv({ DATABASE_URL: databaseUrl(cluster, database, true), PG_BIN: toolDir(cluster) }),
  });
}

/** `pgwarden backup create [--no-verify] --backup-dir <dir> --json`. */
export function pgwardenCreate(root, cluster, database, dir, verify) {
  const args = ['backup', 'create', ...(verify ? [] : ['--no-verify']), '--backup-dir', dir, '--json'];
  return pgwarden(root, cluster, database, args);
}

/** `pgwarden restore <plain.sql> --preview --json`. */
export function pgwardenPreview(root, cluster, database, file) {
  return pgwarden(root, cluster, database, ['restore', file, '--preview', '--json']);
}

/** The naive preview: whole file in memory, regex over the COPY blocks. */
export function naivePreview(root, file) {
  return runMeasured(process.execPath, [join(root, 'bench', 'backup', 'naive-preview.mjs'), file], {
    env: childEnv({}),
  });
}

/** The first JSON value on a child's stdout, or undefined. */
export function parseJson(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** Row counts by `schema.table` from `restore --preview --json`, or undefined if the shape differs. */
export function previewCounts(json) {
  const tables = json?.preview?.tables;
  if (!Array.isArray(tables)) return undefined;
  const counts = {};
  for (const t of tables) {
    if (typeof t?.name !== 'string' || t.backup == null) continue;
    counts[`${t.schema ?? 'public'}.${t.name}`] = Number(t.backup);
  }
  return counts;
}
